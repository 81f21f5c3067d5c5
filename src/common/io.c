/*
 * io.c - small conveniences over rp_io (see io.h).
 *
 * Security posture: bounded by the caller's max; no parsing.
 */
#include "io.h"

#include <string.h>

#include "buf.h"

static int slurp_sink(void *ctx, const uint8_t *p, size_t n, rp_err *err)
{
	return rp_buf_append((rp_buf *)ctx, p, n, err);
}

int rp_io_slurp(const rp_io *io, rp_root root, const char *path, uint64_t max, rp_buf *out, rp_err *err)
{
	rp_buf_reset(out);
	if (out->limit < max)
		out->limit = (size_t)max;
	return io->ops->read(io->self, root, path, max, slurp_sink, out, err);
}

int rp_io_print(const rp_io *io, int fd, const char *s, rp_err *err)
{
	return io->ops->output(io->self, fd, (const uint8_t *)s, strlen(s), err);
}
