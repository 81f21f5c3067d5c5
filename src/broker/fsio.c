/*
 * fsio.c - file-system rp_io for the broker (see fsio.h).
 *
 * Security posture: PRIVILEGED side, never parses file contents. Every
 * path is walked beneath a bound directory fd with O_NOFOLLOW on each
 * component; final files must be regular; reads stop at the cap + 1 byte.
 */
#include "fsio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/keys.h"
#include "../common/path.h"
#include "../common/sha256.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static int close_fd(int *fd)
{
	if (*fd >= 0) {
		(void)close(*fd);
		*fd = -1;
	}
	return 0;
}

void rp_fsio_init(rp_fsio *f)
{
	memset(f, 0, sizeof *f);
	f->in_fd = f->out_parent_fd = f->out_fd = f->store_root_fd = f->store_fd = f->file_fd = -1;
}

/* Removes a staging tree we created: only regular files and directories,
 * never following links, bounded depth. */
static void remove_tree(int parent, const char *name, int depth)
{
	if (depth > 64)
		return;
	int fd = openat(parent, name, DIR_FLAGS);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (d != NULL) {
			struct dirent *e;
			while ((e = readdir(d)) != NULL) {
				if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
					continue;
				if (unlinkat(dirfd(d), e->d_name, 0) != 0 && (errno == EISDIR || errno == EPERM))
					remove_tree(dirfd(d), e->d_name, depth + 1);
			}
			(void)closedir(d);
		} else {
			(void)close(fd);
		}
	}
	(void)unlinkat(parent, name, AT_REMOVEDIR);
}

void rp_fsio_close(rp_fsio *f)
{
	if (f->out_parent_fd >= 0 && !f->committed && f->out_stage_name[0] != '\0') {
		close_fd(&f->out_fd);
		remove_tree(f->out_parent_fd, f->out_stage_name, 0);
	}
	close_fd(&f->in_fd);
	close_fd(&f->out_fd);
	close_fd(&f->out_parent_fd);
	close_fd(&f->store_fd);
	close_fd(&f->store_root_fd);
	if (f->file_fd > 0)
		close_fd(&f->file_fd);
	free(f->chunk);
	f->chunk = NULL;
}

static int root_fd(rp_fsio *f, rp_root root, rp_err *err)
{
	int fd = -1;
	switch (root) {
	case RP_ROOT_IN: fd = f->in_fd; break;
	case RP_ROOT_OUT: fd = f->out_fd; break;
	case RP_ROOT_STORE: fd = f->store_fd; break;
	case RP_ROOT_FILE: fd = f->file_fd; break;
	}
	if (fd < 0)
		return rp_err_set(err, RP_E_INTERNAL, "root %d is not bound for this command", (int)root);
	return fd;
}

/* Opens the directory that holds path's last component, beneath dirfd.
 * Sets *name to the last component. With create, makes missing dirs. */
static int open_parent(int dirfd, const char *path, int create, const char **name, rp_err *err)
{
	char comp[RP_MAX_PATH_COMPONENT + 1];
	const char *p = path;
	int cur = dup(dirfd);
	if (cur < 0)
		return rp_err_set(err, RP_E_IO, "dup: %s", strerror(errno));
	for (;;) {
		const char *slash = strchr(p, '/');
		if (slash == NULL) {
			*name = p;
			return cur;
		}
		size_t n = (size_t)(slash - p);
		memcpy(comp, p, n);
		comp[n] = '\0';
		int next = openat(cur, comp, DIR_FLAGS);
		if (next < 0 && errno == ENOENT && create) {
			if (mkdirat(cur, comp, 0755) != 0 && errno != EEXIST) {
				int e = errno;
				(void)close(cur);
				return rp_err_set(err, RP_E_IO, "artifact error: unable to create directory for %s: %s", path,
						  strerror(e));
			}
			next = openat(cur, comp, DIR_FLAGS);
		}
		int e = errno;
		(void)close(cur);
		if (next < 0) {
			if (e == ENOENT)
				return rp_err_set(err, RP_E_NOTFOUND, "artifact error: unable to resolve artifact path");
			if (e == ELOOP || e == ENOTDIR)
				return rp_err_set(err, RP_E_SYMLINK,
						  "artifact error: symlink or non-directory in artifact path (component '%s')",
						  comp);
			return rp_err_set(err, RP_E_IO, "artifact error: cannot open directory '%s' of %s: %s", comp, path,
					  strerror(e));
		}
		cur = next;
		p = slash + 1;
	}
}

/* Opens a regular file beneath root for reading; checks the size cap. */
static int open_regular(int rootfd, const char *path, uint64_t max, struct stat *st, rp_err *err)
{
	const char *name;
	int dfd = open_parent(rootfd, path, 0, &name, err);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	int e = errno;
	(void)close(dfd);
	if (fd < 0) {
		if (e == ENOENT)
			return rp_err_set(err, RP_E_NOTFOUND, "artifact error: unable to read artifact metadata");
		if (e == ELOOP)
			return rp_err_set(err, RP_E_SYMLINK, "artifact error: artifact is a symlink");
		return rp_err_set(err, RP_E_IO, "artifact error: cannot open %s: %s", path, strerror(e));
	}
	if (fstat(fd, st) != 0) {
		e = errno;
		(void)close(fd);
		return rp_err_set(err, RP_E_IO, "artifact error: cannot stat %s: %s", path, strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		(void)close(fd);
		return rp_err_set(err, RP_E_SYMLINK, "artifact error: artifact is not a regular file");
	}
	if ((uint64_t)st->st_size > max) {
		(void)close(fd);
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%lld > %llu)", path,
				  (long long)st->st_size, (unsigned long long)max);
	}
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
		(void)close(fd);
		return rp_err_set(err, RP_E_IO, "fcntl on %s failed", path);
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

static int ensure_chunk(rp_fsio *f, rp_err *err)
{
	if (f->chunk == NULL) {
		f->chunk = malloc(RP_FSIO_CHUNK);
		if (f->chunk == NULL)
			return rp_err_set(err, RP_E_NOMEM, "out of memory for the read buffer");
	}
	return 0;
}

/* Streams fd to fn, failing once more than max bytes arrive. */
static int stream_fd(rp_fsio *f, int fd, const char *path, uint64_t max, rp_sink_fn fn, void *ctx, rp_err *err)
{
	uint64_t total = 0;
	if (ensure_chunk(f, err) != 0)
		return -1;
	for (;;) {
		size_t want = RP_FSIO_CHUNK;
		if (max - total + 1 < want)
			want = (size_t)(max - total + 1); /* one byte past the cap detects growth */
		ssize_t n = read(fd, f->chunk, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rp_err_set(err, RP_E_IO, "artifact error: unable to read artifact %s: %s", path,
					  strerror(errno));
		if (n == 0)
			return 0;
		total += (uint64_t)n;
		if (total > max)
			return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%llu > %llu)", path,
					  (unsigned long long)total, (unsigned long long)max);
		if (fn(ctx, f->chunk, (size_t)n, err) != 0)
			return -1;
	}
}

static int check_path(rp_root root, const char *path, rp_err *err)
{
	if (root == RP_ROOT_FILE) {
		if (path[0] != '\0')
			return rp_err_set(err, RP_E_PATH, "the input file root takes no path");
		return 0;
	}
	return rp_path_validate(path, strnlen(path, RP_MAX_PATH_TOTAL + 1), "artifact path", err);
}

/* The common start of read and read_fd: the root is bound, the path
 * valid, the cap sane. Returns the root's fd (for FILE: the file itself). */
static int read_root(rp_fsio *f, rp_root root, const char *path, uint64_t max, rp_err *err)
{
	int rfd = root_fd(f, root, err);
	if (rfd < 0 || check_path(root, path, err) != 0)
		return -1;
	if (max > RP_MAX_ARTIFACT_BYTES)
		return rp_err_set(err, RP_E_LIMIT, "read cap %llu exceeds %llu", (unsigned long long)max,
				  RP_MAX_ARTIFACT_BYTES);
	return rfd;
}

/* Opens root/path for read or read_fd: the walk, the regular-file check
 * and the size cap (refused before any byte). */
static int open_for_read(rp_fsio *f, rp_root root, const char *path, uint64_t max, struct stat *st,
			 rp_err *err)
{
	int rfd = read_root(f, root, path, max, err);
	if (rfd < 0)
		return -1;
	return open_regular(rfd, path, max, st, err);
}

static int fs_read(void *self, rp_root root, const char *path, uint64_t max, rp_sink_fn fn, void *ctx, rp_err *err)
{
	rp_fsio *f = self;
	if (root == RP_ROOT_FILE) {
		int rfd = read_root(f, root, path, max, err);
		return rfd < 0 ? -1 : stream_fd(f, rfd, "input", max, fn, ctx, err);
	}
	struct stat st;
	int fd = open_for_read(f, root, path, max, &st, err);
	if (fd < 0)
		return -1;
	int rc = stream_fd(f, fd, path, max, fn, ctx, err);
	(void)close(fd);
	return rc;
}

/* read() without the streaming: the caller (the broker) splices the
 * descriptor into the child's pipe. FILE is refused: it may be stdin (no
 * size, no rewind), and read() serves it. */
static int fs_read_fd(void *self, rp_root root, const char *path, uint64_t max, int *out, uint64_t *size,
		      rp_err *err)
{
	rp_fsio *f = self;
	*out = -1;
	*size = 0;
	if (root == RP_ROOT_FILE)
		return rp_err_set(err, RP_E_INTERNAL, "read_fd: the input file root is served by read");
	struct stat st;
	int fd = open_for_read(f, root, path, max, &st, err);
	if (fd < 0)
		return -1;
	*out = fd;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n, rp_err *err)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return rp_err_set(err, RP_E_IO, "write failed: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static unsigned tmp_counter;

/* Hashes an open file from offset 0. */
static int hash_fd(rp_fsio *f, int fd, uint8_t out[32], rp_err *err)
{
	rp_sha256 c;
	rp_sha256_init(&c);
	if (ensure_chunk(f, err) != 0 || lseek(fd, 0, SEEK_SET) != 0)
		return rp_err_set(err, RP_E_IO, "seek failed: %s", strerror(errno));
	for (;;) {
		ssize_t n = read(fd, f->chunk, RP_FSIO_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return rp_err_set(err, RP_E_IO, "read failed: %s", strerror(errno));
		if (n == 0)
			break;
		rp_sha256_update(&c, f->chunk, (size_t)n);
	}
	rp_sha256_final(&c, out);
	return 0;
}

/* Publishes dfd/tmp as dfd/name. In the store objects are write-once: an
 * existing object with the same bytes is success, different bytes a
 * conflict. Elsewhere (a fresh staging dir) plain no-replace. */
static int publish(rp_fsio *f, rp_root root, int dfd, const char *tmp, int tmpfd, const char *name,
		   const char *path, rp_err *err)
{
	if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0)
		return fsync(dfd) == 0 ? 0 : rp_err_set(err, RP_E_IO, "fsync of directory of %s failed: %s", path,
						       strerror(errno));
	int e = errno;
	if (e != EEXIST)
		return rp_err_set(err, RP_E_IO, "rename into place of %s failed: %s", path, strerror(e));
	if (root != RP_ROOT_STORE)
		return rp_err_set(err, RP_E_EXISTS, "%s already exists in the output", path);
	struct stat st;
	int old = open_regular(dfd, name, RP_MAX_ARTIFACT_BYTES, &st, err);
	if (old < 0) {
		return rp_err_wrap(err, "existing store object %s", path);
	}
	uint8_t a[32], b[32];
	int rc = hash_fd(f, old, a, err);
	(void)close(old);
	if (rc != 0 || hash_fd(f, tmpfd, b, err) != 0)
		return -1;
	if (memcmp(a, b, 32) != 0)
		return rp_err_set(err, RP_E_CONFLICT, "a different object already exists in the store at %s%s",
				  f->store_path, path);
	(void)unlinkat(dfd, tmp, 0);
	return 0;
}

/* Creates a temp file in root's dir of path, fills it via fill(), fsyncs
 * and publishes it. */
typedef int (*fill_fn)(void *ctx, int fd, rp_err *err);

static int atomic_create(rp_fsio *f, rp_root root, const char *path, fill_fn fill, void *ctx, rp_err *err)
{
	if (root != RP_ROOT_OUT && root != RP_ROOT_STORE)
		return rp_err_set(err, RP_E_INTERNAL, "root %d is read-only", (int)root);
	int rfd = root_fd(f, root, err);
	if (rfd < 0 || check_path(root, path, err) != 0)
		return -1;
	const char *name;
	int dfd = open_parent(rfd, path, 1, &name, err);
	if (dfd < 0)
		return -1;
	char tmp[64];
	(void)snprintf(tmp, sizeof tmp, ".rpvault-tmp.%ld.%u", (long)getpid(), tmp_counter++);
	int fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		(void)close(dfd);
		return rp_err_set(err, RP_E_IO, "cannot create a temporary file for %s: %s", path, strerror(e));
	}
	int rc = fill(ctx, fd, err);
	if (rc == 0 && fsync(fd) != 0)
		rc = rp_err_set(err, RP_E_IO, "fsync of %s failed: %s", path, strerror(errno));
	if (rc == 0)
		rc = publish(f, root, dfd, tmp, fd, name, path, err);
	(void)close(fd);
	if (rc != 0)
		(void)unlinkat(dfd, tmp, 0);
	(void)close(dfd);
	return rc;
}

struct mem_fill {
	const uint8_t *p;
	size_t n;
};

static int mem_fill_fn(void *ctx, int fd, rp_err *err)
{
	struct mem_fill *m = ctx;
	return write_all(fd, m->p, m->n, err);
}

static int fs_write(void *self, rp_root root, const char *path, const uint8_t *p, size_t n, rp_err *err)
{
	if (n > RP_MAX_ARTIFACT_BYTES)
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%zu > %llu)", path, n,
				  RP_MAX_ARTIFACT_BYTES);
	struct mem_fill m = {p, n};
	return atomic_create(self, root, path, mem_fill_fn, &m, err);
}

struct copy_fill {
	rp_fsio *f;
	int src;
	const char *path;
	uint64_t max;
};

static int copy_sink(void *ctx, const uint8_t *p, size_t n, rp_err *err)
{
	return write_all(*(int *)ctx, p, n, err);
}

static int copy_fill_fn(void *ctx, int fd, rp_err *err)
{
	struct copy_fill *c = ctx;
	return stream_fd(c->f, c->src, c->path, c->max, copy_sink, &fd, err);
}

static int fs_copy(void *self, rp_root from, rp_root to, const char *path, uint64_t max, rp_err *err)
{
	rp_fsio *f = self;
	int rfd = root_fd(f, from, err);
	if (rfd < 0 || check_path(from, path, err) != 0)
		return -1;
	if (max > RP_MAX_ARTIFACT_BYTES)
		max = RP_MAX_ARTIFACT_BYTES;
	struct stat st;
	int src = open_regular(rfd, path, max, &st, err);
	if (src < 0)
		return -1;
	struct copy_fill c = {f, src, path, max};
	int rc = atomic_create(f, to, path, copy_fill_fn, &c, err);
	(void)close(src);
	return rc;
}

/* Walks (and with create, makes) the directories of prefix below base. */
static int open_prefix(int base, const char *prefix, int create, rp_err *err)
{
	char comp[RP_MAX_PATH_COMPONENT + 1];
	int cur = dup(base);
	if (cur < 0)
		return rp_err_set(err, RP_E_IO, "dup: %s", strerror(errno));
	const char *p = prefix;
	while (*p != '\0') {
		const char *slash = strchr(p, '/');
		size_t n = (size_t)(slash - p);
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (create && mkdirat(cur, comp, 0750) != 0 && errno != EEXIST) {
			int e = errno;
			(void)close(cur);
			return rp_err_set(err, RP_E_IO, "cannot create store directory '%s': %s", comp, strerror(e));
		}
		int next = openat(cur, comp, DIR_FLAGS);
		int e = errno;
		(void)close(cur);
		if (next < 0) {
			if (e == ENOENT)
				return rp_err_set(err, RP_E_NOTFOUND, "no runpack is stored at %s", prefix);
			if (e == ELOOP || e == ENOTDIR)
				return rp_err_set(err, RP_E_SYMLINK, "store path component '%s' is a symlink or not a directory",
						  comp);
			return rp_err_set(err, RP_E_IO, "cannot open store directory '%s': %s", comp, strerror(e));
		}
		cur = next;
		p = slash + 1;
	}
	return cur;
}

static int fs_store_open(void *self, const char *prefix, int create, rp_err *err)
{
	rp_fsio *f = self;
	if (f->store_root_fd < 0)
		return rp_err_set(err, RP_E_INTERNAL, "no store is bound for this command");
	if (rp_key_prefix_check(prefix, err) != 0)
		return -1;
	int fd = open_prefix(f->store_root_fd, prefix, create, err);
	if (fd < 0)
		return -1;
	close_fd(&f->store_fd);
	f->store_fd = fd;
	return 0;
}

static int fs_commit(void *self, rp_err *err)
{
	rp_fsio *f = self;
	if (f->out_parent_fd < 0 || f->committed)
		return rp_err_set(err, RP_E_INTERNAL, "nothing to commit");
	if (fsync(f->out_fd) != 0)
		return rp_err_set(err, RP_E_IO, "fsync of the output directory failed: %s", strerror(errno));
	if (renameat2(f->out_parent_fd, f->out_stage_name, f->out_parent_fd, f->out_final_name, RENAME_NOREPLACE) != 0) {
		if (errno == EEXIST)
			return rp_err_set(err, RP_E_EXISTS, "refusing to overwrite existing %s", f->out_final_name);
		return rp_err_set(err, RP_E_IO, "cannot move the output into place: %s", strerror(errno));
	}
	f->committed = 1;
	if (fsync(f->out_parent_fd) != 0)
		return rp_err_set(err, RP_E_IO, "fsync of the output's parent directory failed: %s", strerror(errno));
	return 0;
}

/* ---- listing ---- */

struct names {
	char **v;
	size_t n, cap;
};

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

/* Sorted names of the subdirectories of fd (dot-names skipped). */
static int list_dir(int fd, struct names *ns, rp_err *err)
{
	memset(ns, 0, sizeof *ns);
	int d2 = dup(fd);
	if (d2 < 0)
		return rp_err_set(err, RP_E_IO, "dup: %s", strerror(errno));
	DIR *d = fdopendir(d2);
	if (d == NULL) {
		(void)close(d2);
		return rp_err_set(err, RP_E_IO, "cannot list the store: %s", strerror(errno));
	}
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (ns->n >= RP_MAX_LIST_ENTRIES) {
			rc = rp_err_set(err, RP_E_LIMIT, "store directory has more than %d entries", RP_MAX_LIST_ENTRIES);
			break;
		}
		if (ns->n == ns->cap) {
			size_t nc = ns->cap ? ns->cap * 2 : 16;
			char **v = realloc(ns->v, nc * sizeof *v);
			if (v == NULL) {
				rc = rp_err_set(err, RP_E_NOMEM, "out of memory listing the store");
				break;
			}
			ns->v = v;
			ns->cap = nc;
		}
		ns->v[ns->n] = strdup(e->d_name);
		if (ns->v[ns->n] == NULL) {
			rc = rp_err_set(err, RP_E_NOMEM, "out of memory listing the store");
			break;
		}
		ns->n++;
	}
	(void)closedir(d);
	if (rc == 0 && ns->n > 1)
		qsort(ns->v, ns->n, sizeof *ns->v, cmp_names);
	return rc;
}

struct walk {
	rp_list_fn fn;
	void *ctx;
	size_t count;
	char prefix[RP_MAX_PATH_TOTAL + 1];
};

static int is_regular_at(int dfd, const char *name)
{
	struct stat st;
	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* Levels: fixed words at even depths, ids at odd ones, per rp_key_prefix. */
static int walk_level(struct walk *w, int fd, int depth, size_t plen, rp_err *err)
{
	static const char *const fixed[11] = {"tenant", NULL, "namespace", NULL, "scenario", NULL,
					      "run",    NULL, "spec",      "sha256", NULL};
	if (depth == 11) {
		if (w->count++ >= RP_MAX_LIST_ENTRIES)
			return rp_err_set(err, RP_E_LIMIT, "more than %d runpacks in the store", RP_MAX_LIST_ENTRIES);
		rp_list_entry e = {w->prefix, is_regular_at(fd, "manifest.json") || is_regular_at(fd, "runpack.json")};
		return w->fn(w->ctx, &e, err);
	}
	struct names ns;
	if (fixed[depth] != NULL) {
		ns.v = NULL;
		ns.n = 0;
		int sub = openat(fd, fixed[depth], DIR_FLAGS);
		if (sub < 0)
			return 0;
		size_t n = strlen(fixed[depth]);
		memcpy(w->prefix + plen, fixed[depth], n);
		w->prefix[plen + n] = '/';
		w->prefix[plen + n + 1] = '\0';
		int rc = walk_level(w, sub, depth + 1, plen + n + 1, err);
		(void)close(sub);
		return rc;
	}
	if (list_dir(fd, &ns, err) != 0) {
		names_free(&ns);
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < ns.n && rc == 0; i++) {
		size_t n = strlen(ns.v[i]);
		if (plen + n + 1 > RP_MAX_PATH_TOTAL)
			continue;
		int sub = openat(fd, ns.v[i], DIR_FLAGS);
		if (sub < 0)
			continue; /* symlinks and files are not runpacks */
		memcpy(w->prefix + plen, ns.v[i], n);
		w->prefix[plen + n] = '/';
		w->prefix[plen + n + 1] = '\0';
		rc = walk_level(w, sub, depth + 1, plen + n + 1, err);
		(void)close(sub);
	}
	names_free(&ns);
	return rc;
}

static int fs_list(void *self, rp_list_fn fn, void *ctx, rp_err *err)
{
	rp_fsio *f = self;
	if (f->store_root_fd < 0)
		return rp_err_set(err, RP_E_INTERNAL, "no store is bound for this command");
	struct walk w;
	w.fn = fn;
	w.ctx = ctx;
	w.count = 0;
	w.prefix[0] = '\0';
	return walk_level(&w, f->store_root_fd, 0, 0, err);
}

static int fs_output(void *self, int fd, const uint8_t *p, size_t n, rp_err *err)
{
	(void)self;
	if (fd != 1 && fd != 2)
		return rp_err_set(err, RP_E_INTERNAL, "output to fd %d refused", fd);
	return write_all(fd, p, n, err);
}

/* Binds the first input from f->cur_input on that opens; reports the ones
 * that do not. */
static int fs_bind_from_current(rp_fsio *f, rp_err *err)
{
	for (; f->cur_input < f->n_inputs; f->cur_input++) {
		rp_err e;
		rp_err_clear(&e);
		if (rp_fsio_bind_in(f, f->inputs[f->cur_input], &e) == 0)
			return 0;
		f->report(f->report_ctx, f->cur_input, e.code, e.msg);
	}
	return rp_err_set(err, RP_E_NOTFOUND, "no further input");
}

static int fs_next_input(void *self, rp_code code, const char *msg, rp_err *err)
{
	rp_fsio *f = self;
	if (f->inputs == NULL || f->cur_input >= f->n_inputs)
		return rp_err_set(err, RP_E_NOTFOUND, "no further input");
	f->report(f->report_ctx, f->cur_input, code, msg);
	close_fd(&f->store_fd);
	close_fd(&f->in_fd);
	f->cur_input++;
	return fs_bind_from_current(f, err);
}

int rp_fsio_in_dup(const rp_fsio *f, int *fd, rp_err *err)
{
	*fd = -1;
	if (f->in_fd < 0)
		return rp_err_set(err, RP_E_INTERNAL, "IN is not bound");
	*fd = fcntl(f->in_fd, F_DUPFD_CLOEXEC, 0);
	if (*fd < 0)
		return rp_err_set(err, RP_E_IO, "cannot duplicate the input directory descriptor: %s",
				  strerror(errno));
	return 0;
}

int rp_fsio_open_below(int dirfd, const char *path, uint64_t max, int *fd, uint64_t *size,
		       rp_err *err)
{
	struct stat st;
	*fd = -1;
	*size = 0;
	if (check_path(RP_ROOT_IN, path, err) != 0)
		return -1;
	if (max > RP_MAX_ARTIFACT_BYTES)
		return rp_err_set(err, RP_E_LIMIT, "read cap %llu exceeds %llu", (unsigned long long)max,
				  RP_MAX_ARTIFACT_BYTES);
	int r = open_regular(dirfd, path, max, &st, err);
	if (r < 0)
		return -1;
	*fd = r;
	*size = (uint64_t)st.st_size;
	return 0;
}

void rp_fsio_report(const rp_fsio *f, size_t index, rp_code code, const char *msg)
{
	if (f->report != NULL && index < f->n_inputs)
		f->report(f->report_ctx, index, code, msg);
}

int rp_fsio_set_inputs(rp_fsio *f, const char *const *dirs, size_t n,
		       void (*report)(void *ctx, size_t index, rp_code code, const char *msg), void *ctx,
		       rp_err *err)
{
	f->inputs = dirs;
	f->n_inputs = n;
	f->cur_input = 0;
	f->report = report;
	f->report_ctx = ctx;
	return fs_bind_from_current(f, err);
}

static const rp_io_ops fs_ops = {
	.read = fs_read,
	.write = fs_write,
	.copy = fs_copy,
	.store_open = fs_store_open,
	.commit = fs_commit,
	.list = fs_list,
	.output = fs_output,
	.next_input = fs_next_input,
	.read_fd = fs_read_fd,
};

rp_io rp_fsio_io(rp_fsio *f)
{
	rp_io io = {&fs_ops, f};
	return io;
}

int rp_fsio_bind_in(rp_fsio *f, const char *dir, rp_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return rp_err_set(err, RP_E_NOTFOUND, "runpack directory %s does not exist", dir);
		return rp_err_set(err, RP_E_IO, "cannot open runpack directory %s: %s", dir, strerror(errno));
	}
	close_fd(&f->in_fd);
	f->in_fd = fd;
	return 0;
}

int rp_fsio_bind_file(rp_fsio *f, const char *path, rp_err *err)
{
	if (strcmp(path, "-") == 0) {
		f->file_fd = 0;
		return 0;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return rp_err_set(err, errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO, "cannot open %s: %s", path,
				  strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		(void)close(fd);
		return rp_err_set(err, RP_E_IO, "%s is not a readable file", path);
	}
	f->file_fd = fd;
	return 0;
}

int rp_fsio_bind_out(rp_fsio *f, const char *final_dir, rp_err *err)
{
	char parent[RP_MAX_PATH_TOTAL + 1];
	size_t n = strlen(final_dir);
	while (n > 1 && final_dir[n - 1] == '/')
		n--;
	if (n == 0 || n > RP_MAX_PATH_TOTAL)
		return rp_err_set(err, RP_E_USAGE, "output directory path is empty or too long");
	memcpy(parent, final_dir, n);
	parent[n] = '\0';
	char *slash = strrchr(parent, '/');
	const char *base;
	if (slash == NULL) {
		base = parent;
		f->out_parent_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		*slash = '\0';
		base = slash + 1;
		f->out_parent_fd = open(slash == parent ? "/" : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (f->out_parent_fd < 0)
		return rp_err_set(err, RP_E_IO, "cannot open the parent directory of %s: %s", final_dir, strerror(errno));
	if (strlen(base) > RP_MAX_PATH_COMPONENT || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
		return rp_err_set(err, RP_E_USAGE, "invalid output directory name %s", final_dir);
	struct stat st;
	if (fstatat(f->out_parent_fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return rp_err_set(err, RP_E_EXISTS, "refusing to overwrite existing %s", final_dir);
	(void)snprintf(f->out_final_name, sizeof f->out_final_name, "%s", base);
	(void)snprintf(f->out_stage_name, sizeof f->out_stage_name, ".rpvault-stage.%ld", (long)getpid());
	if (mkdirat(f->out_parent_fd, f->out_stage_name, 0755) != 0)
		return rp_err_set(err, RP_E_IO, "cannot create a staging directory beside %s: %s", final_dir,
				  strerror(errno));
	f->out_fd = openat(f->out_parent_fd, f->out_stage_name, DIR_FLAGS);
	if (f->out_fd < 0)
		return rp_err_set(err, RP_E_IO, "cannot open the staging directory: %s", strerror(errno));
	return 0;
}

int rp_fsio_bind_store(rp_fsio *f, const char *store_dir, int create, rp_err *err)
{
	if (create) {
		/* mkdir -p of the store root itself (trusted configuration). */
		char tmp[RP_MAX_PATH_TOTAL + 1];
		size_t n = strlen(store_dir);
		if (n == 0 || n > RP_MAX_PATH_TOTAL)
			return rp_err_set(err, RP_E_USAGE, "store path is empty or too long");
		memcpy(tmp, store_dir, n + 1);
		for (size_t i = 1; i <= n; i++) {
			if (tmp[i] == '/' || tmp[i] == '\0') {
				char c = tmp[i];
				tmp[i] = '\0';
				if (mkdir(tmp, 0750) != 0 && errno != EEXIST)
					return rp_err_set(err, RP_E_IO, "cannot create store directory %s: %s", tmp,
							  strerror(errno));
				tmp[i] = c;
			}
		}
	}
	int fd = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return rp_err_set(err, errno == ENOENT ? RP_E_NOTFOUND : RP_E_IO, "cannot open store %s: %s", store_dir,
				  strerror(errno));
	close_fd(&f->store_root_fd);
	f->store_root_fd = fd;
	(void)snprintf(f->store_path, sizeof f->store_path, "%s/", store_dir);
	return 0;
}

int rp_fsio_bind_in_stored(rp_fsio *f, const char *prefix, rp_err *err)
{
	if (f->store_root_fd < 0)
		return rp_err_set(err, RP_E_INTERNAL, "no store is bound");
	if (rp_key_prefix_check(prefix, err) != 0)
		return -1;
	int fd = open_prefix(f->store_root_fd, prefix, 0, err);
	if (fd < 0)
		return -1;
	close_fd(&f->in_fd);
	f->in_fd = fd;
	return 0;
}
