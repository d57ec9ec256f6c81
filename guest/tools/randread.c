/*
 * berth-randread: read throughput of a block device, timed inside the guest.
 *
 *   berth-randread [--seconds N] [--count N] DEVICE   4 KiB random reads
 *   berth-randread --sequential DEVICE               1 MiB sequential reads
 *   berth-randread --stream                          bytes from stdin
 *
 * Random mode: one thread, queue depth 1: O_DIRECT pread()s of 4 KiB at
 * random 4 KiB-aligned offsets across the whole device, one after another,
 * for N seconds (default 10) or N reads, whichever comes first. O_DIRECT
 * keeps the guest's page cache out of the way, so every read is a request
 * to the (virtual) disk: the result is the device's round-trip rate.
 *   prints: random reads=COUNT seconds=S iops=N
 * Sequential mode: the whole device once with 1 MiB O_DIRECT pread()s.
 *   prints: sequential bytes=B seconds=S mib_per_s=X
 * Stream mode: reads stdin (a pipe from nc) until end of file, timing from
 * the first byte, so that waiting for a connection does not count.
 *   prints: stream bytes=B seconds=S mib_per_s=X
 *
 * Time is CLOCK_MONOTONIC (in a KVM guest: kvm-clock). Built statically by
 * guest/build-guest; the guest's initramfs has no C library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { kBlock = 4096, kSeqBlock = 1 << 20, kStreamBuffer = 1 << 20 };

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
	fprintf(stderr, "berth-randread: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(void) {
	fprintf(stderr, "usage: berth-randread [--seconds N] [--count N] DEVICE\n"
			"       berth-randread --sequential DEVICE\n"
			"       berth-randread --stream\n");
	exit(2);
}

/* xorshift64*: fast, and good enough to scatter offsets over a disk. */
static uint64_t next_random(uint64_t *state) {
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

/* A buffer aligned for O_DIRECT (the logical block size divides 4 KiB). */
static void *aligned_buffer(size_t size) {
	void *buffer;
	errno = posix_memalign(&buffer, kBlock, size);
	if (errno != 0)
		die("posix_memalign");
	return buffer;
}

/* Opens DEVICE for O_DIRECT reading and returns its size in bytes. */
static int open_device(const char *device, off_t *size) {
	int fd = open(device, O_RDONLY | O_DIRECT);
	if (fd < 0)
		die(device);
	*size = lseek(fd, 0, SEEK_END);
	if (*size < kSeqBlock) {
		errno = EINVAL;
		die("device smaller than 1 MiB (or lseek failed)");
	}
	return fd;
}

static void random_reads(const char *device, double seconds, long count) {
	off_t size;
	int fd = open_device(device, &size);
	uint64_t blocks = (uint64_t)size / kBlock;
	char *buffer = aligned_buffer(kBlock);
	uint64_t state = (uint64_t)now() * 1000003u ^ (uint64_t)getpid() ^ 0x9E3779B97F4A7C15ULL;
	long reads = 0;
	double start = now(), elapsed = 0;
	/* The clock is read after every read: cheap (vDSO) next to a request. */
	while ((count == 0 || reads < count) && elapsed < seconds) {
		off_t offset = (off_t)(next_random(&state) % blocks) * kBlock;
		if (pread(fd, buffer, kBlock, offset) != kBlock)
			die("pread");
		reads++;
		elapsed = now() - start;
	}
	printf("random reads=%ld seconds=%.3f iops=%.0f\n", reads, elapsed, reads / elapsed);
	close(fd);
	free(buffer);
}

static void sequential_reads(const char *device) {
	off_t size;
	int fd = open_device(device, &size);
	char *buffer = aligned_buffer(kSeqBlock);
	long long bytes = 0;
	double start = now();
	for (;;) {
		ssize_t n = pread(fd, buffer, kSeqBlock, bytes);
		if (n < 0)
			die("pread");
		if (n == 0)
			break;
		bytes += n;
	}
	double elapsed = now() - start;
	printf("sequential bytes=%lld seconds=%.3f mib_per_s=%.3f\n", bytes, elapsed,
	       bytes / elapsed / (1 << 20));
	close(fd);
	free(buffer);
}

static void stream(void) {
	char *buffer = malloc(kStreamBuffer);
	long long bytes = 0;
	double start = 0;
	ssize_t n;
	if (buffer == NULL)
		die("malloc");
	while ((n = read(STDIN_FILENO, buffer, kStreamBuffer)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read");
		}
		if (bytes == 0)
			start = now();
		bytes += n;
	}
	double elapsed = bytes > 0 ? now() - start : 0;
	printf("stream bytes=%lld seconds=%.3f mib_per_s=%.3f\n", bytes, elapsed,
	       elapsed > 0 ? bytes / elapsed / (1 << 20) : 0.0);
	free(buffer);
}

int main(int argc, char **argv) {
	double seconds = 0; /* 0: not given */
	long count = 0;
	int sequential = 0;
	int i;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--sequential") == 0) {
			sequential = 1;
		} else if (strcmp(argv[i], "--stream") == 0 && i == argc - 1) {
			stream();
			return 0;
		} else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
			seconds = atof(argv[++i]);
		} else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			count = atol(argv[++i]);
		} else {
			usage();
		}
	}
	if (i != argc - 1 || seconds < 0 || count < 0)
		usage();
	if (seconds == 0) /* the default: 10 s, or no limit with only a count */
		seconds = count > 0 ? 1e9 : 10;
	if (sequential)
		sequential_reads(argv[i]);
	else
		random_reads(argv[i], seconds, count);
	return 0;
}
