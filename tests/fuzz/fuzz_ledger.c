/*
 * fuzz_ledger - the ledger readers.  The input is split at its first form
 * feed (\f): the part before it becomes autoresearch.jsonl, the part after
 * it results.tsv (absent when there is no \f).  Then: the results and the
 * config line are read, the TSV is repaired from the JSONL, the dashboard
 * rewritten, and every result formatted as a TSV row and a JSON object.
 */
#include "fuzz_common.h"

#include "error.h"
#include "ledger.h"

static void use_results(const struct ar_result *r, size_t n,
                        const struct ar_ledger_info *info)
{
	struct ar_ledger_header h;
	ar_buf b = AR_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		ar_ledger_tsv_row(&b, &r[i]);
		ar_ledger_json_row(&b, &r[i]);
		ar_buf_clear(&b);
	}
	ar_buf_release(&b);
	ar_ledger_best(r, n, 0);
	ar_ledger_best(r, n, 1);
	ar_ledger_baseline(r, n);
	if (info) {
		ar_ledger_info_header(&h, info);
		ar_ledger_dashboard(fuzz_dir(), &h, r, n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *ff = memchr(data, '\f', size);
	size_t jlen = ff ? (size_t)(ff - data) : size;
	struct ar_ledger_info info = AR_LEDGER_INFO_INIT;
	struct ar_result *r = NULL;
	char *warning = NULL;
	size_t n = 0;
	int have_info;

	fuzz_file(AR_LEDGER_JSONL, data, jlen);
	if (ff)
		fuzz_file(AR_LEDGER_TSV, ff + 1, size - jlen - 1);
	else
		fuzz_file(AR_LEDGER_TSV, NULL, 0);
	have_info = ar_ledger_read_header(fuzz_dir(), &info) == 0;
	if (ar_ledger_read(fuzz_dir(), &r, &n, &warning) == 0) {
		use_results(r, n, have_info ? &info : NULL);
		ar_ledger_sync_tsv(fuzz_dir(), have_info && info.metric_name ?
		                   info.metric_name : "val_bpb", r, n);
	}
	ar_ledger_results_free(r, n);
	free(warning);
	ar_ledger_info_release(&info);
	ar_error_clear();
	return 0;
}
