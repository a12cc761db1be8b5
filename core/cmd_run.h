/*
 * cmd_run.h - shared by cmd_run.c (the command's flow) and
 * cmd_run_output.c (what it prints: the opening block, the live line,
 * JSON events, the closing summary).
 */
#ifndef AR_CMD_RUN_H
#define AR_CMD_RUN_H

#include "cmd.h"
#include "loop.h"

struct run_out {
	int json;            /* --json: one JSON event per line on stdout */
	int tty;             /* stdout is a terminal: a live status line */
	int line_open;       /* the live line is on screen */
	long live_iteration;
	const struct ar_workspace *ws;
};

/* The block printed before anything runs (also the whole of --dry-run). */
void run_print_plan(struct run_out *o, const struct ar_workspace *ws,
                    const char *proposer_how, const char *session_line,
                    long max_run, double max_run_s);
/* The loop's events (loop.h), and the baseline's result. */
void run_print_event(const struct ar_loop_event *ev, void *payload);
void run_print_result(struct run_out *o, const struct ar_result *r);
void run_print_note(struct run_out *o, const char *fmt, ...) AR_PRINTF(2, 3);
/* The closing summary, from the ledger; every loop ends with it. */
void run_print_summary(struct run_out *o, const struct ar_session *s,
                       const struct ar_loop_summary *sum);

#endif
