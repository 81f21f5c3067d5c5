/*
 * main.c - rpvault's command line: parse the (trusted) arguments and
 * configuration, start the confined child, bind the roots, run the job in
 * that child.
 *
 * Why this order: the child's fork and confinement take milliseconds; it is
 * started as soon as the options and the configuration are read (the
 * configuration names the account it becomes), so it confines itself while
 * the broker resolves the store and binds the roots. Whatever fails before
 * the job is handed over abandons it (killed and reaped in main()).
 *
 * Security posture: PRIVILEGED side (the broker). It never parses
 * untrusted bytes: manifests, artifacts and stored objects are only
 * touched by the child through rp_io.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/err.h"
#include "../common/job.h"
#include "../common/keys.h"
#include "../common/path.h"
#include "config.h"
#include "fsio.h"
#include "runjob.h"
#include "s3conf.h"
#include "s3http.h"
#include "s3io.h"
#include "privsep.h"
#include "sandbox_print.h"

static const char usage_text[] =
	"usage: rpvault COMMAND [OPTIONS]\n"
	"\n"
	"  verify [--format json|markdown|text] [--manifest NAME] PATH\n"
	"  verify [--format F] --store URI STORAGE_URI\n"
	"  pack --out DIR --tenant N --namespace N --run ID [--generated-at logical:N|unix_millis:N]\n"
	"       [--security AUTHORITY[,dev_permissive]] [--anchor-policy FILE]\n"
	"       [--manifest-name NAME] [--with-verification] SRC\n"
	"  export [--store URI] [--manifest NAME] [--no-read-back] RUNPACK_DIR...\n"
	"  fetch [--store URI] STORAGE_URI DEST\n"
	"  ls [--store URI] [--tenant N] [--namespace N]\n"
	"  store check [--store URI]\n"
	"  jcs [--rfc8785] [FILE|-]\n"
	"  sandbox --print\n"
	"\n"
	"Common options: --config FILE (default " RP_DEFAULT_CONFIG "), --help, --version.\n"
	"Store URI: file:///ABSOLUTE/PATH or s3://BUCKET[/PREFIX]; default $RPVAULT_STORE,\n"
	"then [store] uri in the configuration, then $XDG_DATA_HOME/rpvault/store.\n"
	"S3 options (verify --store, export, fetch, ls, store check): --endpoint URL,\n"
	"--region R, --path-style, --allow-http, --ca-file F, --credentials-file F.\n"
	"Exit status: 0 pass/success, 1 verification failed or content refused,\n"
	"2 usage error, 3 could not run (I/O, sandbox, resources).\n";

struct ctx {
	rp_config cfg;
	const char *config_path;
	int config_required;
	const char *store_flag;
	char store_dir[RP_MAX_PATH_TOTAL + 1];
	char store_uri[RP_MAX_PATH_TOTAL + 128];
	rp_s3_flags s3flags;
	int s3flags_given;
	int is_s3;
	rp_s3_settings *s3set; /* heap, when is_s3 */
	rp_s3 *s3;             /* the client, opened by resolve_store */
	privsep_child *child;  /* started by parse_opts, until a job takes it */
};

static int finish(rp_code code, const rp_err *err)
{
	if (code != RP_OK && err->msg[0] != '\0')
		fprintf(stderr, "rpvault: %s\n", err->msg);
	return rp_code_exit(code);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "rpvault: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'rpvault --help'.\n");
	return 2;
}

static int parse_u64(const char *s, int nonzero, uint64_t *out)
{
	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || (nonzero && v == 0))
		return -1;
	*out = v;
	return 0;
}

static int copy_str(char *dst, size_t dstsz, const char *src)
{
	size_t n = strlen(src);
	if (n >= dstsz)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* An object store: settings and credentials resolved, the client opened
 * (no network yet). The credentials are wiped from this stack frame by
 * rp_s3_open, and the client's copy is registered to be wiped in every
 * confined child. */
static int resolve_s3(struct ctx *c, const char *uri, rp_err *err)
{
	rp_s3_creds creds;
	c->s3set = calloc(1, sizeof *c->s3set);
	if (c->s3set == NULL)
		return rp_err_set(err, RP_E_NOMEM, "out of memory");
	int rrc = rp_s3_resolve(uri, &c->s3flags, &c->cfg, c->s3set, &creds, err);
	rp_s3_scrub_env(); /* the secret now lives only in creds, then in the signer */
	if (rrc != 0)
		return -1;
	if (rp_s3_open(&c->s3, c->s3set, &creds, err) != 0)
		return -1;
	void *secret;
	size_t secret_len;
	rp_s3_secret_span(c->s3, &secret, &secret_len);
	if (privsep_forget_in_child(secret, secret_len) != 0)
		return rp_err_set(err, RP_E_INTERNAL, "cannot register the credentials for wiping");
	c->is_s3 = 1;
	(void)snprintf(c->store_uri, sizeof c->store_uri, "%s", c->s3set->uri);
	return 0;
}

static void close_store(struct ctx *c)
{
	if (c->s3 != NULL) {
		void *secret;
		size_t secret_len;
		rp_s3_secret_span(c->s3, &secret, &secret_len);
		privsep_unforget(secret);
		rp_s3_close(c->s3);
		c->s3 = NULL;
	}
	free(c->s3set);
	c->s3set = NULL;
}

/* Store resolution: --store, $RPVAULT_STORE, config, XDG default. */
static int resolve_store(struct ctx *c, rp_err *err)
{
	const char *uri = c->store_flag;
	char def[RP_MAX_PATH_TOTAL + 16];
	if (uri == NULL)
		uri = getenv("RPVAULT_STORE");
	if ((uri == NULL || uri[0] == '\0') && c->cfg.store_uri[0] != '\0')
		uri = c->cfg.store_uri;
	if (uri == NULL || uri[0] == '\0') {
		const char *xdg = getenv("XDG_DATA_HOME");
		const char *home = getenv("HOME");
		if (xdg != NULL && xdg[0] == '/')
			(void)snprintf(def, sizeof def, "file://%s/rpvault/store", xdg);
		else if (home != NULL && home[0] == '/')
			(void)snprintf(def, sizeof def, "file://%s/.local/share/rpvault/store", home);
		else
			return rp_err_set(err, RP_E_USAGE, "no store configured and neither XDG_DATA_HOME nor HOME is set");
		uri = def;
	}
	if (rp_s3_uri_is_s3(uri))
		return resolve_s3(c, uri, err);
	if (c->s3flags_given)
		return rp_err_set(err, RP_E_USAGE, "S3 options (--endpoint, --region, ...) apply to s3:// stores only, not %s",
				  uri);
	if (strncmp(uri, "file:///", 8) != 0)
		return rp_err_set(err, RP_E_USAGE, "store URI must be file:///ABSOLUTE/PATH or s3://BUCKET[/PREFIX], got '%s'",
				  uri);
	const char *path = uri + 7;
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n > RP_MAX_PATH_TOTAL - 64)
		return rp_err_set(err, RP_E_USAGE, "store path is too long");
	memcpy(c->store_dir, path, n);
	c->store_dir[n] = '\0';
	(void)snprintf(c->store_uri, sizeof c->store_uri, "file://%s", c->store_dir);
	return 0;
}

/* Maps a storage URI (or a bare key prefix) to a key prefix in the store. */
static int storage_prefix(const struct ctx *c, const char *uri, char *prefix, rp_err *err)
{
	const char *rest = uri;
	size_t sl = strlen(c->store_uri);
	if (strncmp(uri, "file://", 7) == 0 || strncmp(uri, "s3://", 5) == 0) {
		if (strncmp(uri, c->store_uri, sl) != 0 || uri[sl] != '/')
			return rp_err_set(err, RP_E_USAGE, "%s is not inside the store %s", uri, c->store_uri);
		rest = uri + sl + 1;
	}
	size_t n = strlen(rest);
	if (n == 0 || n + 2 > RP_KEY_PREFIX_MAX)
		return rp_err_set(err, RP_E_USAGE, "storage URI %s names no runpack", uri);
	memcpy(prefix, rest, n + 1);
	if (prefix[n - 1] != '/') {
		prefix[n] = '/';
		prefix[n + 1] = '\0';
	}
	if (rp_key_prefix_check(prefix, err) != 0) {
		rp_err_wrap(err, "storage URI %s", uri);
		err->code = RP_E_USAGE; /* the user typed it: a usage error, not content */
		return -1;
	}
	return 0;
}

static const char *user_of(const struct ctx *c)
{
	return c->cfg.sandbox_user[0] != '\0' ? c->cfg.sandbox_user : NULL;
}

/* Hands the early-started child to the job (exactly once). */
static privsep_child *take_child(struct ctx *c)
{
	privsep_child *ch = c->child;
	c->child = NULL;
	return ch;
}

/* Runs job over the roots bound in fs (bind_rc: the result of binding
 * them), then releases fs. Every command runs at most one job, the last of
 * this process (the broker hardens itself when serving it: see
 * broker_spawn_job). */
static rp_code run_bound(struct ctx *c, const rp_job *job, rp_fsio *fs, int bind_rc, rp_err *err)
{
	rp_code code;
	if (bind_rc != 0) {
		code = err->code;
	} else if (c->is_s3) {
		/* The store (and, from the store, IN) are keys in the bucket;
		 * the local roots stay on the file system. */
		rp_s3io x;
		if (rp_s3io_init(&x, fs, c->s3, c->s3set, err) != 0 ||
		    ((job->flags & RP_JOB_F_FROM_STORE) && rp_s3io_bind_in(&x, job->store_prefix, err) != 0)) {
			code = err->code;
		} else {
			rp_s3io_set_read_back(&x, !(job->flags & RP_JOB_F_NO_READ_BACK));
			rp_io io = rp_s3io_io(&x);
			code = broker_run_job(take_child(c), job, &io, err);
			if (code != RP_OK)
				rp_s3io_abandon(&x, code);
		}
		rp_s3io_free(&x);
	} else {
		rp_io io = rp_fsio_io(fs);
		code = broker_run_job(take_child(c), job, &io, err);
	}
	rp_fsio_close(fs);
	return code;
}

enum { O_CONFIG = 1000, O_STORE, O_FORMAT, O_MANIFEST, O_OUT, O_TENANT, O_NAMESPACE, O_RUN, O_GENAT,
       O_SECURITY, O_ANCHOR, O_MNAME, O_WITHVER, O_RFC, O_PRINT, O_HELP, O_ENDPOINT, O_REGION, O_PATHSTYLE,
       O_ALLOWHTTP, O_CAFILE, O_CREDFILE, O_NOREADBACK };

static const struct option long_opts[] = {
	{"config", required_argument, NULL, O_CONFIG},
	{"store", required_argument, NULL, O_STORE},
	{"format", required_argument, NULL, O_FORMAT},
	{"manifest", required_argument, NULL, O_MANIFEST},
	{"out", required_argument, NULL, O_OUT},
	{"tenant", required_argument, NULL, O_TENANT},
	{"namespace", required_argument, NULL, O_NAMESPACE},
	{"run", required_argument, NULL, O_RUN},
	{"generated-at", required_argument, NULL, O_GENAT},
	{"security", required_argument, NULL, O_SECURITY},
	{"anchor-policy", required_argument, NULL, O_ANCHOR},
	{"manifest-name", required_argument, NULL, O_MNAME},
	{"with-verification", no_argument, NULL, O_WITHVER},
	{"rfc8785", no_argument, NULL, O_RFC},
	{"print", no_argument, NULL, O_PRINT},
	{"help", no_argument, NULL, O_HELP},
	{"endpoint", required_argument, NULL, O_ENDPOINT},
	{"region", required_argument, NULL, O_REGION},
	{"path-style", no_argument, NULL, O_PATHSTYLE},
	{"allow-http", no_argument, NULL, O_ALLOWHTTP},
	{"ca-file", required_argument, NULL, O_CAFILE},
	{"credentials-file", required_argument, NULL, O_CREDFILE},
	{"no-read-back", no_argument, NULL, O_NOREADBACK},
	{NULL, 0, NULL, 0},
};

struct opts {
	const char *format, *manifest, *out, *tenant, *ns, *run, *genat, *security, *anchor, *mname;
	int withver, rfc, print, no_read_back;
};

/* Options allowed per command, as a string of O_* codes minus 1000.
 * job: the command runs a job in the confined child; it is started here,
 * as soon as the configuration is read. */
static int parse_opts(int argc, char **argv, struct ctx *c, struct opts *o, const char *allowed, int job)
{
	memset(o, 0, sizeof *o);
	opterr = 0;
	optind = 1;
	int ch;
	while ((ch = getopt_long(argc, argv, "+", long_opts, NULL)) != -1) {
		if (ch == '?' || ch < 1000)
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		if (ch == O_HELP) {
			fputs(usage_text, stdout);
			exit(0);
		}
		int s3opt = ch >= O_ENDPOINT && ch <= O_CREDFILE;
		if (ch != O_CONFIG && strchr(allowed, s3opt ? '*' : (char)('a' + (ch - 1000))) == NULL)
			return usage_error("option '%s' does not apply to this command", argv[optind - 1]);
		if (s3opt)
			c->s3flags_given = 1;
		switch (ch) {
		case O_CONFIG: c->config_path = optarg; c->config_required = 1; break;
		case O_STORE: c->store_flag = optarg; break;
		case O_FORMAT: o->format = optarg; break;
		case O_MANIFEST: o->manifest = optarg; break;
		case O_OUT: o->out = optarg; break;
		case O_TENANT: o->tenant = optarg; break;
		case O_NAMESPACE: o->ns = optarg; break;
		case O_RUN: o->run = optarg; break;
		case O_GENAT: o->genat = optarg; break;
		case O_SECURITY: o->security = optarg; break;
		case O_ANCHOR: o->anchor = optarg; break;
		case O_MNAME: o->mname = optarg; break;
		case O_WITHVER: o->withver = 1; break;
		case O_RFC: o->rfc = 1; break;
		case O_PRINT: o->print = 1; break;
		case O_ENDPOINT: c->s3flags.endpoint = optarg; break;
		case O_REGION: c->s3flags.region = optarg; break;
		case O_PATHSTYLE: c->s3flags.path_style = 1; break;
		case O_ALLOWHTTP: c->s3flags.allow_http = 1; break;
		case O_CAFILE: c->s3flags.ca_file = optarg; break;
		case O_CREDFILE: c->s3flags.credentials_file = optarg; break;
		case O_NOREADBACK: o->no_read_back = 1; break;
		default: return usage_error("unexpected option '%s'", argv[optind - 1]);
		}
	}
	/* Every command reads the configuration ([sandbox] user applies to
	 * all of them), after --config is known. */
	rp_err err;
	rp_err_clear(&err);
	if (rp_config_load(&c->cfg, c->config_path, c->config_required, &err) != 0) {
		fprintf(stderr, "rpvault: %s\n", err.msg);
		return 2;
	}
	/* No earlier: the configuration names the account ([sandbox] user;
	 * as root it is resolved right after the fork, while the child
	 * starts). No later: the store (for s3://: settings, credentials,
	 * libcurl) and the roots are resolved and bound while the child
	 * confines itself, and they are never in its address space - fewer
	 * mappings to copy, fewer descriptors to close, no credentials in its
	 * memory (the child wipes its copy of the environment, which may
	 * still hold them: privsep.c). A command that fails before its job
	 * runs abandons the child (main()). */
	if (job)
		c->child = broker_spawn_job(user_of(c), 1);
	return 0;
}

#define A(x) ((char)('a' + ((x) - 1000)))

static int set_manifest_name(rp_job *job, const char *name, rp_err *err)
{
	if (rp_path_validate(name, strlen(name), "manifest name", err) != 0)
		return -1;
	if (copy_str(job->manifest_name, sizeof job->manifest_name, name) != 0)
		return rp_err_set(err, RP_E_USAGE, "manifest name is too long");
	return 0;
}

static int parse_format(const char *f, rp_job *job)
{
	if (f == NULL || strcmp(f, "json") == 0)
		job->format = RP_FMT_JSON;
	else if (strcmp(f, "markdown") == 0)
		job->format = RP_FMT_MARKDOWN;
	else if (strcmp(f, "text") == 0)
		job->format = RP_FMT_TEXT;
	else
		return -1;
	return 0;
}

static int cmd_verify(int argc, char **argv, struct ctx *c)
{
	struct opts o;
	const char allowed[] = {A(O_FORMAT), A(O_MANIFEST), A(O_STORE), '*', 0};
	if (parse_opts(argc, argv, c, &o, allowed, 1) != 0)
		return 2;
	if (argc - optind != 1)
		return usage_error("%s", "verify takes exactly one PATH");
	rp_job job;
	rp_err err;
	rp_fsio fs;
	memset(&job, 0, sizeof job);
	rp_err_clear(&err);
	job.kind = RP_JOB_VERIFY;
	if (parse_format(o.format, &job) != 0)
		return usage_error("unknown --format '%s' (json, markdown or text)", o.format);
	const char *path = argv[optind];
	(void)snprintf(job.subject, sizeof job.subject, "%s", path);
	rp_fsio_init(&fs);
	rp_code code = RP_OK;
	if (o.manifest != NULL) {
		if (set_manifest_name(&job, o.manifest, &err) != 0) {
			code = RP_E_USAGE;
			goto out;
		}
		job.flags |= RP_JOB_F_MANIFEST_EXPLICIT;
	}
	if (c->store_flag != NULL) {
		if (resolve_store(c, &err) != 0 || storage_prefix(c, path, job.store_prefix, &err) != 0) {
			code = err.code;
			goto out;
		}
		job.flags |= RP_JOB_F_FROM_STORE;
		if (c->is_s3) {
			job.flags |= RP_JOB_F_S3;
			(void)snprintf(job.store_uri, sizeof job.store_uri, "%s", c->store_uri);
			return finish(run_bound(c, &job, &fs, 0, &err), &err);
		}
		if (rp_fsio_bind_store(&fs, c->store_dir, 0, &err) != 0 ||
		    rp_fsio_bind_in_stored(&fs, job.store_prefix, &err) != 0) {
			code = err.code;
			goto out;
		}
	} else if (c->s3flags_given) {
		rp_err_set(&err, RP_E_USAGE, "S3 options apply to verify --store only");
		code = RP_E_USAGE;
		goto out;
	} else {
		/* PATH may name the manifest file itself: its directory is the
		 * runpack root (a bare name means the current directory). */
		char dir[RP_MAX_PATH_TOTAL + 1];
		if (copy_str(dir, sizeof dir, path) != 0) {
			rp_err_set(&err, RP_E_USAGE, "path too long");
			code = RP_E_USAGE;
			goto out;
		}
		if (rp_fsio_bind_in(&fs, dir, &err) != 0) {
			char *slash = strrchr(dir, '/');
			const char *base = dir;
			if (slash != NULL) {
				*slash = '\0';
				base = slash + 1;
			}
			rp_err e2;
			if (o.manifest == NULL && set_manifest_name(&job, base, &e2) == 0 &&
			    rp_fsio_bind_in(&fs, slash == NULL ? "." : (dir[0] ? dir : "/"), &e2) == 0) {
				job.flags |= RP_JOB_F_MANIFEST_EXPLICIT;
				rp_err_clear(&err);
			} else {
				code = err.code;
				goto out;
			}
		}
	}
	rp_io io = rp_fsio_io(&fs);
	code = broker_run_job(take_child(c), &job, &io, &err);
out:
	rp_fsio_close(&fs);
	return finish(code, &err);
}

static int parse_genat(const char *s, rp_job *job)
{
	const char *v;
	if (strncmp(s, "logical:", 8) == 0) {
		job->ts_kind = RP_TS_LOGICAL;
		v = s + 8;
		return parse_u64(v, 0, &job->ts_value);
	}
	if (strncmp(s, "unix_millis:", 12) == 0) {
		uint64_t u;
		job->ts_kind = RP_TS_UNIX_MILLIS;
		if (parse_u64(s + 12, 0, &u) != 0 || u > (uint64_t)INT64_MAX)
			return -1;
		job->ts_value = u;
		return 0;
	}
	return -1;
}

static int cmd_pack(int argc, char **argv, struct ctx *c)
{
	struct opts o;
	const char allowed[] = {A(O_OUT),      A(O_TENANT), A(O_NAMESPACE), A(O_RUN),     A(O_GENAT),
				A(O_SECURITY), A(O_ANCHOR), A(O_MNAME),     A(O_WITHVER), 0};
	if (parse_opts(argc, argv, c, &o, allowed, 1) != 0)
		return 2;
	if (argc - optind != 1)
		return usage_error("%s", "pack takes exactly one SRC directory");
	if (o.out == NULL || o.tenant == NULL || o.ns == NULL || o.run == NULL)
		return usage_error("%s", "pack needs --out, --tenant, --namespace and --run");
	rp_job job;
	rp_err err;
	rp_fsio fs;
	memset(&job, 0, sizeof job);
	rp_err_clear(&err);
	job.kind = RP_JOB_PACK;
	if (parse_u64(o.tenant, 1, &job.tenant) != 0)
		return usage_error("--tenant must be a decimal integer from 1 to 18446744073709551615, got '%s'", o.tenant);
	if (parse_u64(o.ns, 1, &job.namespace_id) != 0)
		return usage_error("--namespace must be a decimal integer from 1 to 18446744073709551615, got '%s'", o.ns);
	if (copy_str(job.run_id, sizeof job.run_id, o.run) != 0 || o.run[0] == '\0')
		return usage_error("--run must be 1 to 255 bytes, got '%s'", o.run);
	if (o.genat != NULL) {
		if (parse_genat(o.genat, &job) != 0)
			return usage_error("--generated-at must be logical:N or unix_millis:N (N >= 0), got '%s'", o.genat);
	} else {
		/* Like Decision Gate's CLI: now, as unix_millis; SOURCE_DATE_EPOCH
		 * makes it reproducible. */
		const char *sde = getenv("SOURCE_DATE_EPOCH");
		uint64_t secs;
		job.ts_kind = RP_TS_UNIX_MILLIS;
		if (sde != NULL && parse_u64(sde, 0, &secs) == 0 && secs < (uint64_t)INT64_MAX / 1000)
			job.ts_value = secs * 1000;
		else {
			struct timespec ts;
			(void)clock_gettime(CLOCK_REALTIME, &ts);
			job.ts_value = (uint64_t)ts.tv_sec * 1000 + (uint64_t)(ts.tv_nsec / 1000000);
		}
	}
	if (o.security != NULL) {
		char tmp[RP_MAX_ID_BYTES + 1];
		if (copy_str(tmp, sizeof tmp, o.security) != 0)
			return usage_error("--security value too long: '%s'", o.security);
		char *comma = strchr(tmp, ',');
		if (comma != NULL) {
			if (strcmp(comma + 1, "dev_permissive") != 0)
				return usage_error("--security takes AUTHORITY[,dev_permissive], got '%s'", o.security);
			*comma = '\0';
			job.flags |= RP_JOB_F_DEV_PERMISSIVE;
		}
		if (tmp[0] == '\0')
			return usage_error("--security needs an authority name, got '%s'", o.security);
		memcpy(job.authority, tmp, strlen(tmp) + 1);
		job.flags |= RP_JOB_F_SECURITY;
	}
	if (o.withver)
		job.flags |= RP_JOB_F_WITH_VERIFICATION;
	if (set_manifest_name(&job, o.mname != NULL ? o.mname : "manifest.json", &err) != 0)
		return finish(RP_E_USAGE, &err);
	if (o.anchor != NULL)
		job.flags |= RP_JOB_F_ANCHOR_POLICY;
	rp_fsio_init(&fs);
	int bind = rp_fsio_bind_in(&fs, argv[optind], &err) != 0 ||
		   (o.anchor != NULL && rp_fsio_bind_file(&fs, o.anchor, &err) != 0) ||
		   rp_fsio_bind_out(&fs, o.out, &err) != 0;
	rp_code code = run_bound(c, &job, &fs, bind, &err);
	if (code == RP_OK)
		printf("%s\n", o.out);
	return finish(code, &err);
}

struct export_report {
	const char *const *dirs;
	int worst;
};

/* Called by the broker's file store as the child finishes each input. */
static void export_report(void *ctx, size_t index, rp_code code, const char *msg)
{
	struct export_report *r = ctx;
	if (code == RP_OK)
		return;
	rp_err e;
	rp_err_clear(&e);
	rp_err_set(&e, code, "export %s: %s", r->dirs[index], msg != NULL && msg[0] != '\0' ? msg : rp_code_name(code));
	int ex = finish(code, &e);
	if (ex > r->worst)
		r->worst = ex;
}

static int cmd_export(int argc, char **argv, struct ctx *c)
{
	struct opts o;
	const char allowed[] = {A(O_STORE), A(O_MANIFEST), A(O_NOREADBACK), '*', 0};
	if (parse_opts(argc, argv, c, &o, allowed, 1) != 0)
		return 2;
	if (argc - optind < 1)
		return usage_error("%s", "export takes one or more RUNPACK_DIR");
	rp_err err;
	rp_err_clear(&err);
	if (resolve_store(c, &err) != 0)
		return finish(err.code, &err);
	rp_job job;
	rp_fsio fs;
	memset(&job, 0, sizeof job);
	job.kind = RP_JOB_EXPORT;
	job.flags |= RP_JOB_F_MULTI_INPUT;
	if (o.no_read_back)
		job.flags |= RP_JOB_F_NO_READ_BACK;
	if (c->is_s3)
		job.flags |= RP_JOB_F_S3;
	(void)snprintf(job.store_uri, sizeof job.store_uri, "%s", c->store_uri);
	if (o.manifest != NULL) {
		if (set_manifest_name(&job, o.manifest, &err) != 0)
			return finish(RP_E_USAGE, &err);
		job.flags |= RP_JOB_F_MANIFEST_EXPLICIT;
	}
	/* One confined child exports every runpack; the broker reports each
	 * one's result as the child moves on (export_report). */
	struct export_report rep = { (const char *const *)(argv + optind), 0 };
	size_t n = (size_t)(argc - optind);
	rp_fsio_init(&fs);
	if (!c->is_s3 && rp_fsio_bind_store(&fs, c->store_dir, 1, &err) != 0) {
		rp_fsio_close(&fs);
		return finish(err.code, &err);
	}
	if (rp_fsio_set_inputs(&fs, rep.dirs, n, export_report, &rep, &err) != 0) {
		rp_fsio_close(&fs);
		return rep.worst; /* no input could be opened; each was reported */
	}
	rp_code code = run_bound(c, &job, &fs, 0, &err);
	if (code != RP_OK) {
		/* The job itself failed (sandbox, protocol, I/O): the runpack in
		 * hand and every later one are not exported. */
		size_t cur = fs.cur_input < n ? fs.cur_input : n - 1;
		rp_err_wrap(&err, "export %s", rep.dirs[cur]);
		int ex = finish(code, &err);
		if (ex > rep.worst)
			rep.worst = ex;
		if (cur + 1 < n)
			fprintf(stderr, "rpvault: export: %zu later runpack(s) were not exported\n", n - cur - 1);
	}
	return rep.worst;
}

static int cmd_fetch(int argc, char **argv, struct ctx *c)
{
	struct opts o;
	const char allowed[] = {A(O_STORE), A(O_MANIFEST), '*', 0};
	if (parse_opts(argc, argv, c, &o, allowed, 1) != 0)
		return 2;
	if (argc - optind != 2)
		return usage_error("%s", "fetch takes STORAGE_URI DEST");
	rp_job job;
	rp_err err;
	rp_fsio fs;
	memset(&job, 0, sizeof job);
	rp_err_clear(&err);
	job.kind = RP_JOB_FETCH;
	if (resolve_store(c, &err) != 0 || storage_prefix(c, argv[optind], job.store_prefix, &err) != 0)
		return finish(err.code, &err);
	if (o.manifest != NULL) {
		if (set_manifest_name(&job, o.manifest, &err) != 0)
			return finish(RP_E_USAGE, &err);
		job.flags |= RP_JOB_F_MANIFEST_EXPLICIT;
	}
	job.flags |= RP_JOB_F_FROM_STORE;
	if (c->is_s3)
		job.flags |= RP_JOB_F_S3;
	rp_fsio_init(&fs);
	int bind = (!c->is_s3 && (rp_fsio_bind_store(&fs, c->store_dir, 0, &err) != 0 ||
				  rp_fsio_bind_in_stored(&fs, job.store_prefix, &err) != 0)) ||
		   rp_fsio_bind_out(&fs, argv[optind + 1], &err) != 0;
	return finish(run_bound(c, &job, &fs, bind, &err), &err);
}

static int cmd_ls(int argc, char **argv, struct ctx *c)
{
	struct opts o;
	const char allowed[] = {A(O_STORE), A(O_TENANT), A(O_NAMESPACE), '*', 0};
	if (parse_opts(argc, argv, c, &o, allowed, 1) != 0)
		return 2;
	if (argc != optind)
		return usage_error("%s", "ls takes no positional arguments");
	rp_job job;
	rp_err err;
	rp_fsio fs;
	memset(&job, 0, sizeof job);
	rp_err_clear(&err);
	job.kind = RP_JOB_LS;
	if (o.tenant != NULL) {
		if (parse_u64(o.tenant, 1, &job.tenant) != 0)
			return usage_error("--tenant must be a non-zero decimal integer, got '%s'", o.tenant);
		job.flags |= RP_JOB_F_TENANT_FILTER;
	}
	if (o.ns != NULL) {
		if (parse_u64(o.ns, 1, &job.namespace_id) != 0)
			return usage_error("--namespace must be a non-zero decimal integer, got '%s'", o.ns);
		job.flags |= RP_JOB_F_NAMESPACE_FILTER;
	}
	if (resolve_store(c, &err) != 0)
		return finish(err.code, &err);
	(void)snprintf(job.store_uri, sizeof job.store_uri, "%s", c->store_uri);
	rp_fsio_init(&fs);
	if (c->is_s3) {
		job.flags |= RP_JOB_F_S3;
		return finish(run_bound(c, &job, &fs, 0, &err), &err);
	}
	if (rp_fsio_bind_store(&fs, c->store_dir, 0, &err) != 0 && err.code == RP_E_NOTFOUND) {
		rp_fsio_close(&fs);
		return 0; /* no store yet: nothing stored */
	}
	return finish(run_bound(c, &job, &fs, err.code != RP_OK, &err), &err);
}

/* `store check`: what the broker knows (settings, never secrets), then
 * what the store says (asked and parsed by the child). */
static int cmd_store(int argc, char **argv, struct ctx *c)
{
	struct opts o;
	const char allowed[] = {A(O_STORE), '*', 0};
	if (argc < 2 || strcmp(argv[1], "check") != 0)
		return usage_error("%s", "usage: rpvault store check [--store URI] [S3 options]");
	if (parse_opts(argc - 1, argv + 1, c, &o, allowed, 1) != 0)
		return 2;
	if (argc - 1 != optind)
		return usage_error("%s", "store check takes no positional arguments");
	rp_job job;
	rp_err err;
	rp_fsio fs;
	memset(&job, 0, sizeof job);
	rp_err_clear(&err);
	if (resolve_store(c, &err) != 0)
		return finish(err.code == RP_OK ? RP_E_USAGE : err.code, &err);
	if (!c->is_s3) {
		rp_err_set(&err, RP_E_USAGE, "store check needs an object store (s3://BUCKET[/PREFIX]), got %s",
			   c->store_uri);
		return finish(RP_E_USAGE, &err);
	}
	const rp_s3_settings *st = c->s3set;
	printf("store: %s\nendpoint: %s (%s)\nregion: %s\ncredentials: %s\n", st->uri, st->endpoint,
	       st->path_style ? "path-style" : "virtual-hosted-style", st->region, st->credentials_source);
	fflush(stdout);
	job.kind = RP_JOB_STORE_CHECK;
	job.flags |= RP_JOB_F_S3;
	(void)snprintf(job.store_uri, sizeof job.store_uri, "%s", c->store_uri);
	rp_fsio_init(&fs);
	return finish(run_bound(c, &job, &fs, 0, &err), &err);
}

static int cmd_jcs(int argc, char **argv, struct ctx *c)
{
	struct opts o;
	const char allowed[] = {A(O_RFC), 0};
	if (parse_opts(argc, argv, c, &o, allowed, 1) != 0)
		return 2;
	if (argc - optind > 1)
		return usage_error("%s", "jcs takes at most one FILE");
	rp_job job;
	rp_err err;
	rp_fsio fs;
	memset(&job, 0, sizeof job);
	rp_err_clear(&err);
	job.kind = RP_JOB_JCS;
	if (o.rfc)
		job.flags |= RP_JOB_F_RFC8785;
	rp_fsio_init(&fs);
	int bind = rp_fsio_bind_file(&fs, argc - optind == 1 ? argv[optind] : "-", &err) != 0;
	return finish(run_bound(c, &job, &fs, bind, &err), &err);
}

static int cmd_sandbox(int argc, char **argv, struct ctx *c)
{
	struct opts o;
	const char allowed[] = {A(O_PRINT), 0};
	if (parse_opts(argc, argv, c, &o, allowed, 0) != 0)
		return 2;
	if (!o.print || argc != optind)
		return usage_error("%s", "usage: rpvault sandbox --print");
	rp_err err;
	rp_err_clear(&err);
	if (broker_sandbox_print(1, &err) != 0)
		return finish(err.code, &err);
	return 0;
}

int main(int argc, char **argv)
{
	struct ctx c;
	memset(&c, 0, sizeof c);
	rp_config_init(&c.cfg);
	c.config_path = RP_DEFAULT_CONFIG;
	c.s3flags.path_style = -1;
	c.s3flags.allow_http = -1;
	if (argc < 2)
		return usage_error("%s", "missing COMMAND");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		puts("rpvault " RPVAULT_VERSION);
		return 0;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	static const struct {
		const char *name;
		int (*fn)(int, char **, struct ctx *);
	} cmds[] = {{"verify", cmd_verify}, {"pack", cmd_pack}, {"export", cmd_export}, {"fetch", cmd_fetch},
		    {"ls", cmd_ls},         {"jcs", cmd_jcs},   {"sandbox", cmd_sandbox}, {"store", cmd_store}};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmd, cmds[i].name) == 0) {
			int rc = cmds[i].fn(argc - 1, argv + 1, &c);
			/* The command failed before its job ran (usage, store,
			 * binding): no child may outlive it. */
			broker_abandon_job(c.child);
			c.child = NULL;
			fflush(stdout);
			close_store(&c);
			return rc;
		}
	return usage_error("unknown command '%s'", cmd);
}
