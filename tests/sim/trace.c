/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * trace.c - the readable trace of a run: daemon-level events (joins,
 * renewal failures, fencing, acquires, releases, transfers, holders,
 * faults), the core's own log lines, and with TR_IO every I/O's submit,
 * landing and completion.
 *
 * Off in batches (a branch per call).  A replay (--seed) prints the whole
 * trace as it goes; a failure found in a batch is run again with the trace
 * kept in a ring of the last lines, printed after the verdict.  Lines carry
 * only simulated times and names, so two runs of one seed print the same.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

#define LINE 320

static char *ring;
static int ring_lines, ring_next, ring_full;

void
trace_begin(int level, int tail)
{
	W->trace = level;
	free(ring);
	ring = NULL;
	ring_lines = tail;
	ring_next = ring_full = 0;
	if (tail > 0) {
		ring = calloc((size_t)tail, LINE);
		if (ring == NULL)
			abort();
	}
}

void
trace_end(FILE *out)
{
	int k, n, at;

	if (ring != NULL) {
		n = ring_full ? ring_lines : ring_next;
		at = ring_full ? ring_next : 0;
		for (k = 0; k < n; k++)
			fputs(ring + (size_t)((at + k) % ring_lines) * LINE, out);
		free(ring);
		ring = NULL;
	}
	W->trace = TR_OFF;
}

void
tr(const struct machine *m, const char *fmt, ...)
{
	char line[LINE];
	va_list ap;
	int n;

	if (W->trace == TR_OFF)
		return;
	if (m != NULL)
		n = snprintf(line, sizeof(line), "%11.3f m%-2d h%-2u g%-3llu ",
		    (double)W->now / (double)MS, m->idx + 1, m->host_id,
		    (unsigned long long)m->gen);
	else
		n = snprintf(line, sizeof(line), "%11.3f ---------------- ",
		    (double)W->now / (double)MS);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(line);
	line[n++] = '\n';
	line[n] = '\0';
	if (ring == NULL) {
		fputs(line, stdout);
		return;
	}
	memcpy(ring + (size_t)ring_next * LINE, line, (size_t)n + 1);
	ring_next = (ring_next + 1) % ring_lines;
	if (ring_next == 0)
		ring_full = 1;
}

/* The core's log (struct lfs_logger of each daemon), into the trace. */
void
trace_log_fn(void *arg, int priority, const char *msg)
{
	struct inc *i = arg;

	(void)priority;
	if (i->ghost || W->trace == TR_OFF)
		return;
	tr(i->m, "| %s", msg);
}
