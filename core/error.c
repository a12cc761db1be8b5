/*
 * error.c - the thread-local error slot (see error.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "error.h"

static _Thread_local char last_msg[4096];
static _Thread_local int last_code;

int ar_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	last_code = code;
	return code;
}

int ar_error_prefix(int code, const char *fmt, ...)
{
	char prefix[1024], old[sizeof(last_msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, last_msg, sizeof(old));
	if (old[0])
		snprintf(last_msg, sizeof(last_msg), "%.1000s: %.3000s", prefix, old);
	else
		snprintf(last_msg, sizeof(last_msg), "%.1000s", prefix);
	last_code = code;
	return code;
}

const char *ar_error_last(void)
{
	return last_msg;
}

int ar_error_code(void)
{
	return last_code;
}

void ar_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = 0;
}
