/*
 * cmd_report.h - what the reporting commands (status, results, show,
 * analyze, plot; cmd_report.c) share: opening a session read-only, however
 * broken its configuration, and how to print for a terminal.
 */
#ifndef AR_CMD_REPORT_H
#define AR_CMD_REPORT_H

#include "cmd.h"
#include "report.h"

struct ar_cmd_report {
	struct ar_workspace ws;  /* ws.cfg is valid only when has_config */
	int has_config;
	struct ar_report rep;
};

/*
 * Load the workspace and the ledger of the repository at cli->dir.  A
 * configuration that does not load is a warning (the ledger is shown
 * without it); the ledger's warnings are printed.  Nothing is run and
 * nothing is written.  Returns 0, or the exit code after printing why.
 * Release *c with ar_cmd_report_close either way.
 */
int ar_cmd_report_open(struct ar_cmd_report *c, const struct ar_cli *cli,
                       int check_tsv);
void ar_cmd_report_close(struct ar_cmd_report *c);

/* What `ar analyze` and `ar plot` share: `-o FILE` (- for stdout), no
 * other argument, a document rendered from the report and written
 * atomically. */
struct ar_cmd_document {
	const char *name;   /* the command, for messages */
	const char *usage;
	/* Render into b; return the default file name (caller frees). */
	char *(*render)(ar_buf *b, struct ar_cmd_report *c);
	/* Say what was written. */
	void (*wrote)(const char *path, const struct ar_cmd_report *c);
};
int ar_cmd_report_document(int argc, char **argv, struct ar_cli *cli,
                           const struct ar_cmd_document *d);

/* 1 when stdout is a terminal and NO_COLOR is unset or empty. */
int ar_cmd_color(void);
/* The terminal's width (columns), else $COLUMNS, else 100. */
int ar_cmd_width(void);

#endif
