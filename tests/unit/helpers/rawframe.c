/*
 * rawframe.c - raw frame bytes and a scripted fake peer for protocol tests
 * (see rawframe.h).
 *
 * Security posture: test-only; never linked into rpvault.
 */
#include "rawframe.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void rawbuf_free(rawbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

void rawbuf_bytes(rawbuf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		size_t nc = (b->n + n) * 2 + 64;
		uint8_t *np = realloc(b->p, nc);
		if (np == NULL)
			abort(); /* test helper: out of memory ends the test run */
		b->p = np;
		b->cap = nc;
	}
	if (n != 0)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

void rawbuf_u32(rawbuf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	rawbuf_bytes(b, x, 4);
}

void rawbuf_u64(rawbuf *b, uint64_t v)
{
	rawbuf_u32(b, (uint32_t)v);
	rawbuf_u32(b, (uint32_t)(v >> 32));
}

void rawbuf_hdr(rawbuf *b, uint32_t type, uint32_t len, uint32_t seq)
{
	rawbuf_u32(b, type);
	rawbuf_u32(b, len);
	rawbuf_u32(b, seq);
}

void rawbuf_frame(rawbuf *b, uint32_t type, uint32_t seq, const void *p, size_t n)
{
	rawbuf_hdr(b, type, (uint32_t)n, seq);
	rawbuf_bytes(b, p, n);
}

void rawbuf_frame_u32(rawbuf *b, uint32_t type, uint32_t seq, uint32_t v, const void *p, size_t n)
{
	rawbuf_hdr(b, type, (uint32_t)(4 + n), seq);
	rawbuf_u32(b, v);
	rawbuf_bytes(b, p, n);
}

int rawpeer_spawn(const rawbuf *b, int wfd, int rfd, int close_fds[], int nclose)
{
	pid_t pid = fork();
	if (pid != 0)
		return (int)pid;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < nclose; i++)
		if (close_fds[i] >= 0)
			close(close_fds[i]);
	size_t off = 0;
	while (off < b->n) {
		ssize_t w = write(wfd, b->p + off, b->n - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	close(wfd);
	uint8_t sink[65536];
	while (read(rfd, sink, sizeof sink) > 0) {
	}
	_exit(0);
}

void rawpeer_reap(int pid)
{
	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGKILL);
	int st;
	(void)waitpid((pid_t)pid, &st, 0);
}
