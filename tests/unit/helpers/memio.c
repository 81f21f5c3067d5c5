/*
 * memio.c - in-memory rp_io for tests and benches (see memio.h).
 *
 * Security posture: test-only; never linked into rpvault. Follows the
 * rp_io contract closely enough for the broker (max enforced before any
 * byte with Decision Gate's "artifact too large" wording, RP_E_NOTFOUND,
 * STORE usable only after store_open) so privsep tests see realistic
 * errors.
 */
#include "memio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/limits.h"

typedef struct memio_file {
	rp_root root;
	char *path;
	uint8_t *data;     /* NULL when generated */
	uint64_t size;
	int generated;
	uint64_t seed;
	rp_code fail;      /* nonzero: every operation on this file fails */
} memio_file;

/* One accepted export plan: what the broker handed over, kept whole so a
 * test can compare paths and hashes after the broker's buffers are gone. */
typedef struct memio_plan {
	char **paths;
	uint8_t (*sha)[32];
	size_t n;
} memio_plan;

typedef struct memio_report_rec {
	size_t input;
	rp_code code;
	char *msg;
} memio_report_rec;

typedef struct memio_out {
	char *p;
	size_t n, cap;
} memio_out;

struct memio {
	memio_file *files;
	size_t nfiles, capfiles;
	size_t chunk;
	void (*hook)(void *ctx, rp_root root, const char *path);
	void *hook_ctx;
	char **list_prefix;
	int *list_has;
	size_t nlist;
	memio_out out[3];
	memio_stats st;
	char store_prefix[4200];
	int store_bound;
	int export_on;
	memio_plan *plans;       /* every accepted plan, in order */
	size_t nplans, capplans;
	size_t plan_head;        /* plans[plan_head..nplans) are queued */
	memio_report_rec *reports;
	size_t nreports, capreports;
	/* The configured export result and the strings export_wait hands out. */
	rp_code res_code;
	int res_existed;
	unsigned res_status;
	char *res_context, *res_what;
	uint8_t *res_body;
	size_t res_body_len;
};

memio *memio_new(void)
{
	memio *m = calloc(1, sizeof *m);
	if (m != NULL)
		m->chunk = 64 * 1024;
	return m;
}

void memio_free(memio *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nfiles; i++) {
		free(m->files[i].path);
		free(m->files[i].data);
	}
	free(m->files);
	for (size_t i = 0; i < m->nlist; i++)
		free(m->list_prefix[i]);
	free(m->list_prefix);
	free(m->list_has);
	for (int i = 0; i < 3; i++)
		free(m->out[i].p);
	for (size_t i = 0; i < m->nplans; i++) {
		for (size_t j = 0; j < m->plans[i].n; j++)
			free(m->plans[i].paths[j]);
		free(m->plans[i].paths);
		free(m->plans[i].sha);
	}
	free(m->plans);
	for (size_t i = 0; i < m->nreports; i++)
		free(m->reports[i].msg);
	free(m->reports);
	free(m->res_context);
	free(m->res_what);
	free(m->res_body);
	free(m);
}

static memio_file *find(const memio *m, rp_root root, const char *path)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (m->files[i].root == root && strcmp(m->files[i].path, path) == 0)
			return &m->files[i];
	return NULL;
}

static memio_file *slot(memio *m, rp_root root, const char *path)
{
	memio_file *f = find(m, root, path);
	if (f != NULL) {
		free(f->data);
		f->data = NULL;
		f->generated = 0;
		f->size = 0;
		return f;
	}
	if (m->nfiles == m->capfiles) {
		size_t nc = m->capfiles ? m->capfiles * 2 : 16;
		memio_file *nf = realloc(m->files, nc * sizeof *nf);
		if (nf == NULL)
			return NULL;
		m->files = nf;
		m->capfiles = nc;
	}
	f = &m->files[m->nfiles];
	memset(f, 0, sizeof *f);
	f->path = strdup(path);
	if (f->path == NULL)
		return NULL;
	f->root = root;
	m->nfiles++;
	return f;
}

int memio_put(memio *m, rp_root root, const char *path, const void *p, size_t n)
{
	memio_file *f = slot(m, root, path);
	if (f == NULL)
		return -1;
	f->data = malloc(n ? n : 1);
	if (f->data == NULL)
		return -1;
	if (n != 0)
		memcpy(f->data, p, n);
	f->size = n;
	return 0;
}

int memio_put_generated(memio *m, rp_root root, const char *path, uint64_t size, uint64_t seed)
{
	memio_file *f = slot(m, root, path);
	if (f == NULL)
		return -1;
	f->generated = 1;
	f->seed = seed;
	f->size = size;
	return 0;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void memio_gen_bytes(uint64_t seed, uint64_t off, uint8_t *out, size_t n)
{
	/* Byte i is byte (i % 8) of splitmix64(seed ^ (i / 8)): random access
	 * without state, so any chunking yields the same stream. */
	size_t i = 0;
	while (i < n) {
		uint64_t pos = off + i;
		uint64_t word = splitmix64(seed ^ (pos / 8));
		unsigned k = (unsigned)(pos % 8);
		for (; k < 8 && i < n; k++, i++)
			out[i] = (uint8_t)(word >> (8 * k));
	}
}

const uint8_t *memio_get(const memio *m, rp_root root, const char *path, size_t *n)
{
	memio_file *f = find(m, root, path);
	if (f == NULL || f->generated)
		return NULL;
	*n = (size_t)f->size;
	return f->data;
}

int memio_fail(memio *m, rp_root root, const char *path, rp_code code)
{
	memio_file *f = find(m, root, path);
	if (f == NULL) {
		if (memio_put(m, root, path, "", 0) != 0)
			return -1;
		f = find(m, root, path);
	}
	f->fail = code;
	return 0;
}

void memio_set_chunk(memio *m, size_t chunk)
{
	m->chunk = chunk ? chunk : 1;
}

void memio_set_read_hook(memio *m, void (*hook)(void *ctx, rp_root root, const char *path),
			 void *ctx)
{
	m->hook = hook;
	m->hook_ctx = ctx;
}

int memio_add_list_entry(memio *m, const char *prefix, int has_manifest)
{
	char **np = realloc(m->list_prefix, (m->nlist + 1) * sizeof *np);
	if (np == NULL)
		return -1;
	m->list_prefix = np;
	int *nh = realloc(m->list_has, (m->nlist + 1) * sizeof *nh);
	if (nh == NULL)
		return -1;
	m->list_has = nh;
	m->list_prefix[m->nlist] = strdup(prefix);
	if (m->list_prefix[m->nlist] == NULL)
		return -1;
	m->list_has[m->nlist] = has_manifest;
	m->nlist++;
	return 0;
}

memio_stats memio_get_stats(const memio *m)
{
	return m->st;
}

const char *memio_output(const memio *m, int fd, size_t *n)
{
	const memio_out *o = &m->out[fd == 2 ? 2 : 1];
	*n = o->n;
	return o->p != NULL ? o->p : "";
}

const char *memio_store_prefix(const memio *m)
{
	return m->store_prefix;
}

static int check_root(memio *m, rp_root root, rp_err *err)
{
	if (root < RP_ROOT_IN || root > RP_ROOT_FILE)
		return rp_err_set(err, RP_E_INTERNAL, "memio: bad root %d", (int)root);
	if (root == RP_ROOT_STORE && !m->store_bound)
		return rp_err_set(err, RP_E_INTERNAL, "memio: STORE used before store_open");
	return 0;
}

static int mem_read(void *self, rp_root root, const char *path, uint64_t max, rp_sink_fn fn,
		    void *fnctx, rp_err *err)
{
	memio *m = self;
	m->st.reads++;
	if (m->hook != NULL)
		m->hook(m->hook_ctx, root, path);
	if (check_root(m, root, err) != 0)
		return -1;
	memio_file *f = find(m, root, path);
	if (f == NULL)
		return rp_err_set(err, RP_E_NOTFOUND, "not found: %s", path);
	if (f->fail)
		return rp_err_set(err, f->fail, "memio: injected failure reading %s", path);
	if (f->size > max)
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%llu > %llu)", path,
				  (unsigned long long)f->size, (unsigned long long)max);
	uint8_t *tmp = NULL;
	if (f->generated) {
		tmp = malloc(m->chunk);
		if (tmp == NULL)
			return rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
	}
	int rc = 0;
	for (uint64_t off = 0; off < f->size;) {
		size_t k = f->size - off < m->chunk ? (size_t)(f->size - off) : m->chunk;
		const uint8_t *p;
		if (f->generated) {
			memio_gen_bytes(f->seed, off, tmp, k);
			p = tmp;
		} else {
			p = f->data + off;
		}
		if (fn(fnctx, p, k, err) != 0) {
			rc = -1;
			break;
		}
		m->st.bytes_read += k;
		off += k;
	}
	free(tmp);
	return rc;
}

static int mem_write(void *self, rp_root root, const char *path, const uint8_t *p, size_t n,
		     rp_err *err)
{
	memio *m = self;
	m->st.writes++;
	if (check_root(m, root, err) != 0)
		return -1;
	if (root != RP_ROOT_OUT && root != RP_ROOT_STORE)
		return rp_err_set(err, RP_E_INTERNAL, "memio: root %d is not writable", (int)root);
	memio_file *f = find(m, root, path);
	if (f != NULL && f->fail)
		return rp_err_set(err, f->fail, "memio: injected failure writing %s", path);
	if (memio_put(m, root, path, p, n) != 0)
		return rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
	return 0;
}

static int mem_copy(void *self, rp_root from, rp_root to, const char *path, uint64_t max,
		    rp_err *err)
{
	memio *m = self;
	m->st.copies++;
	if (check_root(m, from, err) != 0 || check_root(m, to, err) != 0)
		return -1;
	memio_file *f = find(m, from, path);
	if (f == NULL)
		return rp_err_set(err, RP_E_NOTFOUND, "not found: %s", path);
	if (f->fail)
		return rp_err_set(err, f->fail, "memio: injected failure copying %s", path);
	if (f->size > max)
		return rp_err_set(err, RP_E_TOO_LARGE, "artifact too large: %s (%llu > %llu)", path,
				  (unsigned long long)f->size, (unsigned long long)max);
	if (f->generated)
		return memio_put_generated(m, to, path, f->size, f->seed) == 0
			       ? 0
			       : rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
	/* memio_put may move the array: copy the bytes out first. */
	size_t n = (size_t)f->size;
	uint8_t *tmp = malloc(n ? n : 1);
	if (tmp == NULL)
		return rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
	memcpy(tmp, f->data, n);
	int rc = memio_put(m, to, path, tmp, n);
	free(tmp);
	return rc == 0 ? 0 : rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
}

static int mem_store_open(void *self, const char *prefix, int create, rp_err *err)
{
	memio *m = self;
	(void)create;
	m->st.store_opens++;
	if (strlen(prefix) >= sizeof m->store_prefix)
		return rp_err_set(err, RP_E_PATH, "memio: prefix too long");
	(void)snprintf(m->store_prefix, sizeof m->store_prefix, "%s", prefix);
	m->store_bound = 1;
	return 0;
}

static int mem_commit(void *self, rp_err *err)
{
	memio *m = self;
	(void)err;
	m->st.commits++;
	return 0;
}

static int mem_list(void *self, rp_list_fn fn, void *fnctx, rp_err *err)
{
	memio *m = self;
	m->st.lists++;
	for (size_t i = 0; i < m->nlist; i++) {
		rp_list_entry e = { .prefix = m->list_prefix[i], .has_manifest = m->list_has[i] };
		if (fn(fnctx, &e, err) != 0)
			return -1;
	}
	return 0;
}

static int mem_output(void *self, int fd, const uint8_t *p, size_t n, rp_err *err)
{
	memio *m = self;
	m->st.outputs++;
	if (fd != 1 && fd != 2)
		return rp_err_set(err, RP_E_INTERNAL, "memio: output to fd %d", fd);
	memio_out *o = &m->out[fd];
	if (o->n + n + 1 > o->cap) {
		size_t nc = (o->n + n + 1) * 2;
		char *np = realloc(o->p, nc);
		if (np == NULL)
			return rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
		o->p = np;
		o->cap = nc;
	}
	if (n != 0)
		memcpy(o->p + o->n, p, n);
	o->n += n;
	o->p[o->n] = '\0';
	return 0;
}

static int mem_export_plan(void *self, const rp_export_entry *e, size_t n, rp_err *err)
{
	memio *m = self;
	m->st.plans++;
	if (!m->store_bound)
		return rp_err_set(err, RP_E_INTERNAL, "memio: export plan before store_open");
	if (n == 0 || e == NULL)
		return rp_err_set(err, RP_E_INTERNAL, "memio: empty export plan");
	if (m->nplans - m->plan_head >= RP_EXPORT_WINDOW)
		return rp_err_set(err, RP_E_LIMIT, "memio: %zu export plans already queued",
				  m->nplans - m->plan_head);
	for (size_t i = 0; i < n; i++) {
		memio_file *f = find(m, RP_ROOT_IN, e[i].path);
		if (f != NULL && f->fail)
			return rp_err_set(err, f->fail, "memio: injected failure planning %s", e[i].path);
	}
	if (m->nplans == m->capplans) {
		size_t nc = m->capplans ? m->capplans * 2 : 8;
		memio_plan *np = realloc(m->plans, nc * sizeof *np);
		if (np == NULL)
			return rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
		m->plans = np;
		m->capplans = nc;
	}
	memio_plan *p = &m->plans[m->nplans];
	p->paths = calloc(n, sizeof *p->paths);
	p->sha = calloc(n, sizeof *p->sha);
	p->n = n;
	int ok = p->paths != NULL && p->sha != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		p->paths[i] = strdup(e[i].path);
		memcpy(p->sha[i], e[i].sha, sizeof p->sha[i]);
		ok = p->paths[i] != NULL;
	}
	if (!ok) {
		for (size_t i = 0; p->paths != NULL && i < n; i++)
			free(p->paths[i]);
		free(p->paths);
		free(p->sha);
		return rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
	}
	m->nplans++;
	return 0;
}

static int mem_export_wait(void *self, rp_export_result *res, rp_err *err)
{
	memio *m = self;
	(void)err;
	m->st.waits++;
	if (m->plan_head == m->nplans)
		return 0;
	memset(res, 0, sizeof *res);
	res->input = m->plan_head++;
	res->code = m->res_code;
	res->existed = m->res_existed;
	res->status = m->res_status;
	res->context = m->res_context != NULL ? m->res_context : "";
	res->what = m->res_what != NULL ? m->res_what : "";
	res->body = m->res_body;
	res->body_len = m->res_body_len;
	return 1;
}

static int mem_export_report(void *self, size_t input, rp_code code, const char *msg, rp_err *err)
{
	memio *m = self;
	m->st.reports++;
	if (m->nreports == m->capreports) {
		size_t nc = m->capreports ? m->capreports * 2 : 8;
		memio_report_rec *nr = realloc(m->reports, nc * sizeof *nr);
		if (nr == NULL)
			return rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
		m->reports = nr;
		m->capreports = nc;
	}
	char *copy = strdup(msg != NULL ? msg : "");
	if (copy == NULL)
		return rp_err_set(err, RP_E_NOMEM, "memio: out of memory");
	m->reports[m->nreports++] = (memio_report_rec){ .input = input, .code = code, .msg = copy };
	return 0;
}

static const rp_io_ops memio_ops = {
	.read = mem_read,
	.write = mem_write,
	.copy = mem_copy,
	.store_open = mem_store_open,
	.commit = mem_commit,
	.list = mem_list,
	.output = mem_output,
};

/* The same plus the export ops: a separate table, because the broker
 * decides from export_plan != NULL whether the backing is an object store. */
static const rp_io_ops memio_export_ops = {
	.read = mem_read,
	.write = mem_write,
	.copy = mem_copy,
	.store_open = mem_store_open,
	.commit = mem_commit,
	.list = mem_list,
	.output = mem_output,
	.export_plan = mem_export_plan,
	.export_wait = mem_export_wait,
	.export_report = mem_export_report,
};

rp_io memio_io(memio *m)
{
	rp_io io = { .ops = m->export_on ? &memio_export_ops : &memio_ops, .self = m };
	return io;
}

void memio_enable_export(memio *m)
{
	m->export_on = 1;
}

static int dup_or_null(const char *s, char **out)
{
	free(*out);
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	return *out != NULL ? 0 : -1;
}

int memio_set_export_result(memio *m, rp_code code, int existed, unsigned status,
			    const char *context, const char *what, const void *body, size_t body_len)
{
	m->res_code = code;
	m->res_existed = existed;
	m->res_status = status;
	if (dup_or_null(context, &m->res_context) != 0 || dup_or_null(what, &m->res_what) != 0)
		return -1;
	free(m->res_body);
	m->res_body = NULL;
	m->res_body_len = 0;
	if (body_len != 0) {
		m->res_body = malloc(body_len);
		if (m->res_body == NULL)
			return -1;
		memcpy(m->res_body, body, body_len);
		m->res_body_len = body_len;
	}
	return 0;
}

size_t memio_plan_count(const memio *m)
{
	return m->nplans;
}

size_t memio_plan_size(const memio *m, size_t plan)
{
	return plan < m->nplans ? m->plans[plan].n : 0;
}

const char *memio_plan_path(const memio *m, size_t plan, size_t i, const uint8_t **sha)
{
	if (plan >= m->nplans || i >= m->plans[plan].n)
		return NULL;
	if (sha != NULL)
		*sha = m->plans[plan].sha[i];
	return m->plans[plan].paths[i];
}

size_t memio_plans_queued(const memio *m)
{
	return m->nplans - m->plan_head;
}

size_t memio_report_count(const memio *m)
{
	return m->nreports;
}

int memio_report(const memio *m, size_t k, size_t *input, rp_code *code, const char **msg)
{
	if (k >= m->nreports)
		return -1;
	*input = m->reports[k].input;
	*code = m->reports[k].code;
	*msg = m->reports[k].msg;
	return 0;
}
