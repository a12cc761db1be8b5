/*
 * objective.h - the one-line form of the skills `ar` replaces:
 *
 *   ar "minimize bundle size" "npm run build 2>&1 | grep 'Total size'" src
 *
 * An objective whose first word gives the direction (minimize, minimise,
 * reduce, decrease, lower, shrink / maximize, maximise, increase, raise,
 * improve) and whose rest names the metric; a command whose output holds
 * the number (the last number it prints; a `pytest -q` summary gives the
 * pass count, or the pass rate when the objective says "rate"); and the
 * edit scope: files, directories or globs (one argument or more).
 *
 * It becomes ordinary settings of the one configuration model, given as
 * command-line overrides, so `ar config` and `--dry-run` show them.
 */
#ifndef AR_OBJECTIVE_H
#define AR_OBJECTIVE_H

#include "util.h"

/* Does argv look like the one-line form (an objective first)? */
int ar_objective_is(const char *first_arg);

/*
 * Append "key=value" overrides for the one-line form to *out:
 * adapter=custom, metric.name, metric.direction, metric.last_number=1,
 * run_command, target_files.  AR_EUSAGE with a message showing the form
 * when the objective has no direction word or no metric, or no scope.
 */
int ar_objective_parse(const char *objective, const char *command,
                       const char *const *scope, size_t nscope, ar_strvec *out);

#endif
