/*
 * error.h - the core's error codes and its one error-state slot.
 *
 * Functions under core/ return 0 on success or a negative code, and leave a
 * human-readable message in thread-local state read with ar_error_last().
 * Nothing under core/ prints; the command layer does.
 */
#ifndef AR_ERROR_STATE_H
#define AR_ERROR_STATE_H

#include "ar/adapter.h" /* AR_OK, AR_ERROR, AR_ENOTFOUND, AR_PASS */

#define AR_EEXISTS (-4)    /* already exists */
#define AR_EUSAGE (-5)     /* bad usage or configuration: exit code 2 */
#define AR_EDIRTY (-6)     /* tracked files have uncommitted changes */
#define AR_EDETACHED (-7)  /* HEAD is not on a branch */
#define AR_ENOREPO (-8)    /* not inside a git repository */
#define AR_ENOSPACE (-9)   /* a write failed for lack of space */

#if defined(__GNUC__)
#define AR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AR_PRINTF(f, a)
#endif

/* Set the message; returns `code` so callers can `return ar_error_set(...)`. */
int ar_error_set(int code, const char *fmt, ...) AR_PRINTF(2, 3);
/* Prefix the current message with more context: "loading x: <old>". */
int ar_error_prefix(int code, const char *fmt, ...) AR_PRINTF(2, 3);
/* The last message set on this thread, never NULL ("" when none). */
const char *ar_error_last(void);
/* The code passed with the last message. */
int ar_error_code(void);
void ar_error_clear(void);

#endif
