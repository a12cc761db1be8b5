/*
 * fault.c - fault injection points (fault.h).
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "fault.h"

void ar_fault_point(const char *point)
{
	static const char *at;
	static int looked;

	if (!looked) {
		at = getenv("AR_TEST_KILL_AT");
		looked = 1;
	}
	if (at && !strcmp(at, point))
		raise(SIGKILL);
}
