/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sl-hosts.c - many live host ids in a sanlock lockspace without a daemon
 * each, for bench/sanlock_bench.py (issue 15: sanlock's 2,000-host column).
 *
 *   sl-hosts DEVICE FIRST COUNT INTERVAL_MS ROUNDSFILE [SECTOR_SIZE]
 *
 * sanlock keeps one delta lease per host id in the lockspace area at
 * offset 0 of DEVICE: host id N is sector N-1 (SECTOR_SIZE 512, the
 * default, or 4096: the lockspace's, which this program cannot see), a
 * leader record whose timestamp the owner rewrites every renewal; other
 * daemons call a host id live while they see its timestamp change.  This
 * program takes host ids FIRST..FIRST+COUNT-1 (they must be free: nobody
 * checks) and keeps them live by rewriting all of them in one O_DIRECT
 * write every INTERVAL_MS, as COUNT hosts renewing at once would.  It
 * does not run sanlock's delta-lease acquire (the delays that make the id
 * exclusive): the ids are the benchmark's own, nobody races for them.
 *
 * The record's format (sanlock's leader_record, little-endian, fixed by
 * sanlock's on-disk compatibility) is taken from host id 1's sector, which
 * a real daemon wrote when it joined: magic, version, sector size, lockspace
 * name and io_timeout come from there, so this program needs to know only
 * where owner id, generation, host name, timestamp and checksum are.  The
 * template's checksum is verified first: if sanlock's layout differs from
 * what is written here, the program fails instead of writing garbage.
 *
 * After each round it rewrites ROUNDSFILE with the number of rounds done,
 * so that a caller can subtract these writes from block-layer counters.
 * Runs until SIGTERM or SIGINT; exit status 1 with a message on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DELTA_MAGIC 0x12212010u
/* Offsets in sanlock's leader_record. */
#define OFF_MAGIC 0
#define OFF_OWNER_ID 32
#define OFF_OWNER_GEN 40
#define OFF_HOST_NAME 104 /* resource_name: the host's unique name */
#define NAME_LEN 48
#define OFF_TIMESTAMP 152
#define OFF_CHECKSUM 168 /* the checksum covers the bytes before it */
#define OFF_WRITE_ID 176
#define OFF_WRITE_GEN 184
#define OFF_WRITE_TS 192
#define RECORD_LEN 256 /* then the event bitmap; the rest of the sector is 0 */
#define MAX_COUNT 2000

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* CRC-32C (Castagnoli, reflected), with no final inversion: sanlock seeds
 * it with ~1 and stores the raw register. */
static uint32_t
crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & -(crc & 1u));
	}
	return crc;
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
record_checksum(const uint8_t *rec)
{
	return crc32c(~(uint32_t)1, rec, OFF_CHECKSUM);
}

/* Fills one sector (ss bytes) for host_id from the template, with
 * timestamp ts; the checksum last, over the finished fields.  No event
 * bitmap: this host asks nothing of anyone. */
static void
fill(uint8_t *sec, size_t ss, const uint8_t *tmpl, uint64_t host_id, uint64_t ts)
{
	memset(sec, 0, ss);
	memcpy(sec, tmpl, RECORD_LEN);
	put64(sec + OFF_OWNER_ID, host_id);
	put64(sec + OFF_OWNER_GEN, 1);
	memset(sec + OFF_HOST_NAME, 0, NAME_LEN);
	snprintf((char *)sec + OFF_HOST_NAME, NAME_LEN, "sl-hosts-%llu", (unsigned long long)host_id);
	put64(sec + OFF_TIMESTAMP, ts);
	put64(sec + OFF_WRITE_ID, host_id);
	put64(sec + OFF_WRITE_GEN, 1);
	put64(sec + OFF_WRITE_TS, ts);
	put32(sec + OFF_CHECKSUM, record_checksum(sec));
}

static int
write_rounds(const char *path, unsigned long rounds)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%lu\n", rounds);
	if (fclose(f) != 0)
		return -errno;
	return rename(tmp, path) == 0 ? 0 : -errno;
}

int
main(int argc, char **argv)
{
	uint8_t *buf, *tmpl;
	long first, count, interval_ms;
	unsigned long rounds = 0;
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec ts;
	size_t len, ss = 512;
	int fd, rc;

	if (argc != 6 && argc != 7) {
		fprintf(stderr, "usage: sl-hosts DEVICE FIRST COUNT INTERVAL_MS ROUNDSFILE [SECTOR_SIZE]\n");
		return 2;
	}
	if (argc == 7)
		ss = (size_t)atol(argv[6]);
	if (ss != 512 && ss != 4096) {
		fprintf(stderr, "sl-hosts: sector size %s is not 512 or 4096\n", argv[6]);
		return 2;
	}
	first = atol(argv[2]);
	count = atol(argv[3]);
	interval_ms = atol(argv[4]);
	if (first < 2 || count < 1 || first + count - 1 > MAX_COUNT || interval_ms < 1) {
		fprintf(stderr, "sl-hosts: host ids %ld..%ld or interval %ld out of range\n", first,
		    first + count - 1, interval_ms);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0) {
		perror("sl-hosts: open");
		return 1;
	}
	len = (size_t)count * ss;
	if (posix_memalign((void **)&tmpl, 4096, 4096) || posix_memalign((void **)&buf, 4096, len)) {
		fprintf(stderr, "sl-hosts: out of memory\n");
		return 1;
	}
	/* host id 1's sector: written by a daemon that joined */
	if (pread(fd, tmpl, 4096, 0) != 4096) {
		perror("sl-hosts: read of host id 1's sector");
		return 1;
	}
	if (get32(tmpl + OFF_MAGIC) != DELTA_MAGIC || get32(tmpl + OFF_CHECKSUM) != record_checksum(tmpl)) {
		fprintf(stderr, "sl-hosts: host id 1's sector is not a delta lease this program "
				"understands (magic %08x, checksum %08x, computed %08x)\n",
		    get32(tmpl + OFF_MAGIC), get32(tmpl + OFF_CHECKSUM), record_checksum(tmpl));
		return 1;
	}
	while (!stop_requested) {
		/* the timestamp only has to change each round for the readers;
		 * seconds on the monotonic clock plus the round keep it moving
		 * even with rounds shorter than a second */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		for (long i = 0; i < count; i++)
			fill(buf + i * ss, ss, tmpl, (uint64_t)(first + i), (uint64_t)ts.tv_sec + rounds);
		if (pwrite(fd, buf, len, (off_t)(first - 1) * (off_t)ss) != (ssize_t)len) {
			perror("sl-hosts: write");
			return 1;
		}
		rounds++;
		rc = write_rounds(argv[5], rounds);
		if (rc < 0) {
			fprintf(stderr, "sl-hosts: %s: %s\n", argv[5], strerror(-rc));
			return 1;
		}
		if (rounds == 1) {
			printf("live %ld..%ld\n", first, first + count - 1);
			fflush(stdout);
		}
		usleep((useconds_t)interval_ms * 1000);
	}
	close(fd);
	return 0;
}
