/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stallio.c - tests only: stall one write before its submit (stallio.h).
 */
#include <errno.h>
#include <stdio.h>

#include "clock.h"
#include "stallio.h"

static int
stall_submit(void *arg, io_context_t ctx, long nr, struct iocb **iocbs)
{
	struct lfs_stallio *s = arg;
	long i;

	for (i = 0; i < nr; i++)
		if (iocbs[i]->aio_lio_opcode == IO_CMD_PWRITE &&
		    atomic_fetch_add(&s->writes, 1) + 1 == s->nth) {
			/* a script waits for this line (t-fs-conc) */
			lfs_log(s->log, LOG_NOTICE, "test stall: write %u held "
			    "%u ms before its submit", s->nth, s->ms);
			lfs_sleep_ms(s->ms);
		}
	return lfs_io_syscalls_default.submit(lfs_io_syscalls_default.arg, ctx,
	    nr, iocbs);
}

static int
stall_getevents(void *arg, io_context_t ctx, long min_nr, long nr,
    struct io_event *events, struct timespec *timeout)
{
	(void)arg;
	return lfs_io_syscalls_default.getevents(lfs_io_syscalls_default.arg,
	    ctx, min_nr, nr, events, timeout);
}

int
lfs_stallio_init(struct lfs_stallio *s, const char *spec,
    const struct lfs_logger *log)
{
	char tail;

	if (sscanf(spec, "%u:%u%c", &s->nth, &s->ms, &tail) != 2 || s->nth == 0)
		return -EINVAL;
	atomic_init(&s->writes, 0);
	s->log = log;
	s->sys = lfs_io_syscalls_default;
	s->sys.submit = stall_submit;
	s->sys.getevents = stall_getevents;
	s->sys.arg = s;
	return 0;
}
