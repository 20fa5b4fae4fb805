/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * value.h - the value block of a lease: a few hundred bytes that travel
 * with it, written by its exclusive holder and read by anyone.
 *
 * The value is one record in the last sector of the lease's slot
 * (ondisk.h): a header with the lease generation (lver) and the writer it
 * was written under, the lease's incarnation, a length and a CRC-32C, then
 * the data, up to lfs_value_max(sector_size) bytes (472 at 512-byte
 * sectors, 4056 at 4096).  Disk Paxos never touches it, so a value stays
 * as written across release, transfer and takeover: the next holder reads
 * what the last one left, and the record's lver tells it whether the value
 * was written under the current lease generation or an earlier one.
 *
 * Rules:
 *   1. One writer: only the exclusive owner writes, and only while the
 *      disk shows it the owner of held->lver with no newer instance
 *      started (read just before the write).  A shared holder is not an
 *      exclusive one: -EPERM.
 *   2. Durable when lfs_value_write() returns 0: the write is O_DIRECT and
 *      O_DSYNC like every lease write (diskio.h).  A write that fails may
 *      or may not have landed; the value is then the old one or the new
 *      one, never a mix (sector writes are atomic; a torn one fails its
 *      CRC, rule 4).
 *   3. Late writes.  A value write that timed out may land later.  While
 *      we live, nothing else of ours is issued until the kernel has
 *      reaped it (paxos.h invariant 6), so the lease cannot move on to
 *      another holder before it landed or was dropped: a transfer or
 *      release is a ballot of ours, and others take a live owner's lease
 *      only at host_dead.  If we die, a taker may write its own value
 *      after host_dead, and ours must have landed by then: so a value
 *      write is issued only when its io_timeout ends before renewal_fail
 *      counted from our last good renewal r (lfs_delta_write_fresh()):
 *        r               our last good renewal write submitted
 *        <= r+fail-io    the value write is submitted (checked just before)
 *        <= r+fail+4io   it lands, given the storage promise of leasefs(8):
 *                        a write given up lands within 5 io of submission
 *        >= r+host_dead  others may take over (host_dead = fail + 4 io)
 *      Slack: none beyond the promise itself, which is the same one the
 *      name-table writes rely on (leases.c); else -EIO, nothing written.
 *   4. A record that does not decode -- torn, corrupt, of another format --
 *      reads as -EIO (logged with the decoder's word), never as an empty
 *      value.  An all-zero sector (a lease never given a value: mkdir
 *      zeroes the slot) and a record of another incarnation of the slot (a
 *      deleted lease's) read as empty: len 0, lver 0.
 */
#ifndef LEASEFS_VALUE_H
#define LEASEFS_VALUE_H

#include "paxos.h"

/* The value of ref as on disk now (rule 4).  0 with *out filled (len 0:
 * none), -EIO when the record does not decode, -errno from I/O. */
int lfs_value_read(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, struct lfs_value *out);

/* Replace the value of ref, held exclusively as *held, with len bytes at
 * data.  0 when durable (rule 2), *out (may be NULL) the record written;
 *   -EFBIG     len > lfs_value_max(sector_size), nothing written;
 *   -EPERM     not the exclusive owner as the disk shows now (rule 1);
 *   -EIO       a timed-out write of ours may still land, or our last
 *              renewal is too old to write safely (rule 3): nothing
 *              written; or the write failed: it may have landed;
 *   -ENOENT    the lease was deleted; -errno from I/O. */
int lfs_value_write(struct lfs_lockspace *ls, struct lfs_io *io,
    const struct lfs_lease_ref *ref, const struct lfs_leader *held,
    const void *data, uint32_t len, struct lfs_value *out);

#endif
