/* script.c — runs the commands of one wast2json script against the engine:
 * module, register, action, and every assert_* kind. It keeps the modules
 * and instances of the script (named ones by their $name), one linker that
 * holds the spectest module and the registered instances, and counts each
 * command as passed, failed or skipped in the shared struct st_counts.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spectest.h"

struct loaded {
	char *name; /* "$M" or NULL */
	struct wasm_module *mod;
	struct wasm_instance *inst;
};

struct script {
	const char *src; /* the .wast the script came from, for messages */
	char *dir;	 /* where the .wasm files are */
	const struct st_opts *opts;
	struct st_counts *counts;
	struct wasm_linker *linker;
	struct loaded *loaded;
	size_t nloaded, cap;
	struct wasm_instance *current; /* the last module; NULL if it failed */
	int line;
	const char *cmd;
};

static const char *json_str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Export names may hold NUL bytes (names.wast has one). cJSON cuts strings
 * at a NUL, so before parsing, each \u0000 escape becomes the overlong
 * pair C0 80, which valid UTF-8 never holds, and lookups turn it back. */
#define NUL_MARK "\xc0\x80"

static void mark_nul_escapes(char *text)
{
	char *in = text, *out = text;
	bool in_str = false;

	while (*in) {
		if (in_str && in[0] == '\\' && !strncmp(in + 1, "u0000", 5)) {
			memcpy(out, NUL_MARK, 2);
			out += 2;
			in += 6;
			continue;
		}
		if (in_str && in[0] == '\\' && in[1]) {
			*out++ = *in++;
		} else if (*in == '"') {
			in_str = !in_str;
		}
		*out++ = *in++;
	}
	*out = 0;
}

/* Turns C0 80 back into NUL in place; returns the length. */
static size_t unmark_nul(char *name)
{
	char *in = name, *out = name;

	while (*in) {
		if (!strncmp(in, NUL_MARK, 2)) {
			*out++ = 0;
			in += 2;
		} else {
			*out++ = *in++;
		}
	}
	return out - name;
}

static struct wasm_func *export_func(struct wasm_instance *inst,
				     const char *field)
{
	struct wasm_func *f = NULL;
	char *name;
	size_t len;

	if (!strstr(field, NUL_MARK))
		return wasm_instance__export_func(inst, field);
	name = strdup(field);
	if (name) {
		len = unmark_nul(name);
		f = wasm_instance__export_func_n(inst, name, len);
	}
	free(name);
	return f;
}

static void pass(struct script *s)
{
	s->counts->passed++;
}

static void fail(struct script *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct script *s, const char *fmt, ...)
{
	va_list ap;

	s->counts->failed++;
	printf("%s:%d: %s: ", s->src, s->line, s->cmd);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(sz + 1);
	if (buf && fread(buf, 1, sz, f) != (size_t)sz) {
		free(buf);
		buf = NULL;
	}
	if (buf) {
		buf[sz] = 0;
		*len = sz;
	}
out:
	fclose(f);
	return buf;
}

/* Loads the binary module a command names; NULL with `err` filled if the
 * engine rejects it, or with errno text if the file is missing. */
static struct wasm_module *load_module(struct script *s, const cJSON *cmd,
				       struct wasm_error *err)
{
	const char *file = json_str(cmd, "filename");
	struct wasm_load_opts lo = {.sz = sizeof(lo), .tier = s->opts->tier};
	struct wasm_module *m;
	char path[4096];
	size_t len = 0;
	char *bytes;

	memset(err, 0, sizeof(*err));
	if (!file) {
		snprintf(err->msg, sizeof(err->msg), "no filename");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", s->dir, file);
	bytes = read_file(path, &len);
	if (!bytes) {
		snprintf(err->msg, sizeof(err->msg), "cannot read %.200s: %s",
			 file, strerror(errno));
		return NULL;
	}
	m = wasm_module__load(bytes, len, &lo, err);
	/* WASM_SPECTEST_SAVED=1: the module runs on its compiled code saved
	 * and loaded back (wasm_module__save_code, wasm_load_opts.code). */
	const char *saved = getenv("WASM_SPECTEST_SAVED");
	if (m && saved && !strcmp(saved, "1") &&
	    !wasm_module__save_code(m, (void **)&lo.code, &lo.code_len)) {
		wasm_module__free(m);
		m = wasm_module__load(bytes, len, &lo, err);
		if (m && !wasm_module__code_loaded(m)) {
			snprintf(err->msg, sizeof(err->msg),
				 "saved code refused");
			wasm_module__free(m);
			m = NULL;
		}
		free((void *)lo.code);
	}
	free(bytes);
	return m;
}

static struct wasm_instance *
instantiate(struct script *s, struct wasm_module *m, struct wasm_error *err)
{
	struct wasm_instance_opts io = {.sz = sizeof(io)};

	memset(err, 0, sizeof(*err));
	return wasm_instance__new(m, s->linker, &io, err);
}

static int remember(struct script *s, const char *name, struct wasm_module *m,
		    struct wasm_instance *inst)
{
	struct loaded *l;

	if (s->nloaded == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		l = realloc(s->loaded, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		s->loaded = l;
		s->cap = cap;
	}
	l = &s->loaded[s->nloaded++];
	l->name = name ? strdup(name) : NULL;
	l->mod = m;
	l->inst = inst;
	return 0;
}

/* A module whose instantiation failed: the linker may still hold what was
 * built of the instance, which points into the module. */
static void keep_module(struct script *s, struct wasm_module *m)
{
	if (remember(s, NULL, m, NULL))
		wasm_module__free(m); /* out of memory: leak nothing else */
}

static struct wasm_instance *find_instance(struct script *s, const char *name)
{
	size_t i;

	if (!name)
		return s->current;
	for (i = s->nloaded; i-- > 0;)
		if (s->loaded[i].name && !strcmp(s->loaded[i].name, name))
			return s->loaded[i].inst;
	return NULL;
}

static void cmd_module(struct script *s, const cJSON *cmd)
{
	const char *name = json_str(cmd, "name");
	struct wasm_instance *inst = NULL;
	struct wasm_module *m;
	struct wasm_error err;

	s->current = NULL;
	m = load_module(s, cmd, &err);
	if (!m) {
		fail(s, "module failed to load: %s", err.msg);
		return;
	}
	inst = instantiate(s, m, &err);
	if (!inst) {
		fail(s, "module failed to instantiate: %s", err.msg);
		keep_module(s, m);
		return;
	}
	if (remember(s, name, m, inst)) {
		fail(s, "out of memory");
		wasm_instance__free(inst);
		wasm_module__free(m);
		return;
	}
	s->current = inst;
	pass(s);
}

static void cmd_register(struct script *s, const cJSON *cmd)
{
	const char *name = json_str(cmd, "name");
	const char *as = json_str(cmd, "as");
	struct wasm_instance *inst = find_instance(s, name);

	if (!inst || !as) {
		fail(s, "no module %s to register", name ? name : "(current)");
		return;
	}
	if (wasm_linker__define_instance(s->linker, as, inst)) {
		fail(s, "wasm_linker__define_instance(\"%s\") failed", as);
		return;
	}
	pass(s);
}

/* The result of running an action: status, and on WASM_OK the values. */
struct outcome {
	int status; /* enum wasm_status, or negative: could not run */
	struct wasm_instance *inst;
	struct wasm_val *vals;
	size_t nvals;
	char why[300];
};

static const char *trap_message(struct wasm_instance *inst)
{
	const struct wasm_trap *t = inst ? wasm_instance__trap(inst) : NULL;

	if (!t)
		return "(no trap information)";
	return t->message[0] ? t->message : wasm_trap_kind_str(t->kind);
}

static int get_global(struct script *s, const cJSON *act, struct outcome *o)
{
	const char *field = json_str(act, "field");

	o->vals = calloc(1, sizeof(*o->vals));
	if (!o->vals || !field)
		return -EINVAL;
	o->nvals = 1;
	if (wasm_instance__export_global(o->inst, field, o->vals)) {
		snprintf(o->why, sizeof(o->why), "no global export \"%s\"",
			 field);
		return -ENOENT;
	}
	return WASM_OK;
}

static int parse_args(const cJSON *args, struct wasm_val **out, size_t *n)
{
	const cJSON *a;
	size_t i = 0;

	*n = cJSON_GetArraySize(args);
	*out = calloc(*n ? *n : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	cJSON_ArrayForEach(
	    a, args) if (st_parse_arg(a, &(*out)[i++])) return -EINVAL;
	return 0;
}

static int invoke(struct script *s, const cJSON *act, struct outcome *o)
{
	const char *field = json_str(act, "field");
	struct wasm_val *args = NULL;
	struct wasm_func *f;
	size_t nargs;
	int ret;

	f = field ? export_func(o->inst, field) : NULL;
	if (!f) {
		snprintf(o->why, sizeof(o->why),
			 "no function export \"%.200s\"", field ? field : "");
		return -ENOENT;
	}
	if (parse_args(cJSON_GetObjectItemCaseSensitive(act, "args"), &args,
		       &nargs)) {
		free(args);
		snprintf(o->why, sizeof(o->why), "unsupported argument");
		return -EINVAL;
	}
	o->nvals = wasm_func__result_count(f);
	o->vals = calloc(o->nvals ? o->nvals : 1, sizeof(*o->vals));
	if (!o->vals) {
		free(args);
		return -ENOMEM;
	}
	ret = wasm_func__call(o->inst, f, args, nargs, o->vals, o->nvals);
	free(args);
	if (ret < 0)
		snprintf(o->why, sizeof(o->why),
			 "wasm_func__call refused the call: %s",
			 strerror(-ret));
	else if (ret != WASM_OK)
		snprintf(o->why, sizeof(o->why), "%s: %s", wasm_status_str(ret),
			 trap_message(o->inst));
	return ret;
}

static int run_action(struct script *s, const cJSON *cmd, struct outcome *o)
{
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(cmd, "action");
	const char *type = json_str(act, "type");
	const char *mod = json_str(act, "module");

	memset(o, 0, sizeof(*o));
	o->inst = find_instance(s, mod);
	if (!o->inst) {
		snprintf(o->why, sizeof(o->why), "no module %s",
			 mod ? mod : "(the last one failed)");
		return o->status = -ENOENT;
	}
	if (type && !strcmp(type, "invoke"))
		o->status = invoke(s, act, o);
	else if (type && !strcmp(type, "get"))
		o->status = get_global(s, act, o);
	else
		o->status = -EINVAL;
	if (o->status == -EINVAL && !o->why[0])
		snprintf(o->why, sizeof(o->why), "bad action");
	return o->status;
}

static void check_values(struct script *s, const cJSON *expected,
			 const struct outcome *o)
{
	size_t n = cJSON_GetArraySize(expected), i = 0;
	char got[128], want[256];
	const cJSON *e;

	if (n != o->nvals) {
		fail(s, "got %zu results, expected %zu", o->nvals, n);
		return;
	}
	cJSON_ArrayForEach(e, expected)
	{
		if (!st_match(e, &o->vals[i])) {
			st_format_val(&o->vals[i], got, sizeof(got));
			st_format_expected(e, want, sizeof(want));
			if (n > 1)
				fail(s, "result %zu: got %s, expected %s", i,
				     got, want);
			else
				fail(s, "got %s, expected %s", got, want);
			return;
		}
		i++;
	}
	pass(s);
}

static void cmd_assert_return(struct script *s, const cJSON *cmd)
{
	struct outcome o;

	if (run_action(s, cmd, &o) != WASM_OK)
		fail(s, "%s", o.why);
	else
		check_values(
		    s, cJSON_GetObjectItemCaseSensitive(cmd, "expected"), &o);
	free(o.vals);
}

static void cmd_action(struct script *s, const cJSON *cmd)
{
	struct outcome o;

	if (run_action(s, cmd, &o) != WASM_OK)
		fail(s, "%s", o.why);
	else
		pass(s);
	free(o.vals);
}

/* The trap kind each message of the spec interpreter stands for. */
static const struct {
	const char *text;
	enum wasm_trap_kind kind;
} trap_texts[] = {
    {"unreachable", WASM_TRAP_UNREACHABLE},
    {"integer divide by zero", WASM_TRAP_DIV_ZERO},
    {"integer overflow", WASM_TRAP_INT_OVERFLOW},
    {"invalid conversion to integer", WASM_TRAP_INVALID_CONVERSION},
    {"out of bounds memory access", WASM_TRAP_MEMORY_OOB},
    {"out of bounds table access", WASM_TRAP_TABLE_OOB},
    {"undefined element", WASM_TRAP_UNDEFINED_ELEMENT},
    {"uninitialized element", WASM_TRAP_UNINITIALIZED_ELEMENT},
    {"indirect call type mismatch", WASM_TRAP_INDIRECT_TYPE_MISMATCH},
    {"call stack exhausted", WASM_TRAP_STACK_EXHAUSTED},
};

static int expected_trap(const char *text)
{
	size_t i;

	for (i = 0; text && i < sizeof(trap_texts) / sizeof(trap_texts[0]); i++)
		if (!strncmp(text, trap_texts[i].text,
			     strlen(trap_texts[i].text)))
			return trap_texts[i].kind;
	return -1;
}

static void cmd_assert_trap(struct script *s, const cJSON *cmd)
{
	const char *text = json_str(cmd, "text");
	int want = expected_trap(text);
	const struct wasm_trap *t;
	struct outcome o;
	int st;

	st = run_action(s, cmd, &o);
	free(o.vals);
	if (st == WASM_OK) {
		fail(s, "returned, expected trap \"%s\"", text);
		return;
	}
	if (st != WASM_TRAPPED) {
		fail(s, "%s, expected trap \"%s\"", o.why, text);
		return;
	}
	t = wasm_instance__trap(o.inst);
	if (want >= 0 && (!t || (int)t->kind != want)) {
		fail(s, "trapped with %s (%s), expected \"%s\"",
		     t ? wasm_trap_kind_str(t->kind) : "?",
		     trap_message(o.inst), text);
		return;
	}
	pass(s);
}

/* assert_invalid, assert_malformed: the engine must refuse to load. */
static void cmd_assert_load_fails(struct script *s, const cJSON *cmd)
{
	const char *mtype = json_str(cmd, "module_type");
	struct wasm_module *m;
	struct wasm_error err;

	if (mtype && strcmp(mtype, "binary")) {
		s->counts->skipped++; /* text format: wast2json's business */
		return;
	}
	m = load_module(s, cmd, &err);
	if (m) {
		wasm_module__free(m);
		fail(s, "module loaded, expected \"%s\"",
		     json_str(cmd, "text"));
		return;
	}
	if (s->opts->verbose)
		printf("  rejected: %s\n", err.msg);
	pass(s);
}

/* assert_unlinkable, assert_uninstantiable: loads, fails to instantiate. */
static void cmd_assert_inst_fails(struct script *s, const cJSON *cmd)
{
	struct wasm_instance *inst;
	struct wasm_module *m;
	struct wasm_error err;

	m = load_module(s, cmd, &err);
	if (!m) {
		fail(s, "module failed to load: %s", err.msg);
		return;
	}
	inst = instantiate(s, m, &err);
	if (inst) {
		fail(s, "module instantiated, expected \"%s\"",
		     json_str(cmd, "text"));
		/* Kept: its exports may already be referenced. */
		if (remember(s, NULL, m, inst)) {
			wasm_instance__free(inst);
			wasm_module__free(m);
		}
		return;
	}
	if (s->opts->verbose)
		printf("  refused: %s\n", err.msg);
	keep_module(s, m);
	pass(s);
}

static void cmd_assert_exhaustion(struct script *s, const cJSON *cmd)
{
	const struct wasm_trap *t;
	struct outcome o;
	int st;

	st = run_action(s, cmd, &o);
	free(o.vals);
	t = st == WASM_TRAPPED ? wasm_instance__trap(o.inst) : NULL;
	if (t && t->kind == WASM_TRAP_STACK_EXHAUSTED) {
		pass(s);
		return;
	}
	if (st == WASM_OK)
		fail(s, "returned, expected call stack exhaustion");
	else
		fail(s, "%s, expected call stack exhaustion", o.why);
}

static const struct {
	const char *type;
	void (*run)(struct script *s, const cJSON *cmd);
} commands[] = {
    {"module", cmd_module},
    {"register", cmd_register},
    {"action", cmd_action},
    {"assert_return", cmd_assert_return},
    {"assert_trap", cmd_assert_trap},
    {"assert_exhaustion", cmd_assert_exhaustion},
    {"assert_invalid", cmd_assert_load_fails},
    {"assert_malformed", cmd_assert_load_fails},
    {"assert_unlinkable", cmd_assert_inst_fails},
    {"assert_uninstantiable", cmd_assert_inst_fails},
};

static void run_command(struct script *s, const cJSON *cmd)
{
	const cJSON *line = cJSON_GetObjectItemCaseSensitive(cmd, "line");
	const char *type = json_str(cmd, "type");
	size_t i;

	s->line = cJSON_IsNumber(line) ? line->valueint : 0;
	s->cmd = type ? type : "?";
	s->counts->line = s->line;
	snprintf(s->counts->cmd, sizeof(s->counts->cmd), "%s", s->cmd);
	if (s->opts->verbose) {
		printf("%s:%d: %s\n", s->src, s->line, s->cmd);
		fflush(stdout);
	}
	for (i = 0; type && i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(type, commands[i].type)) {
			commands[i].run(s, cmd);
			return;
		}
	}
	fail(s, "unknown command");
}

/* Instances newest first (later ones may import from earlier ones), then
 * the linker, which keeps the remains of failed instantiations whose
 * functions may sit in imported tables, and only then the modules. */
static void free_script(struct script *s)
{
	size_t i;

	for (i = s->nloaded; i-- > 0;)
		wasm_instance__free(s->loaded[i].inst);
	if (s->linker)
		wasm_linker__free(s->linker);
	for (i = 0; i < s->nloaded; i++) {
		wasm_module__free(s->loaded[i].mod);
		free(s->loaded[i].name);
	}
	free(s->loaded);
	free(s->dir);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	return strndup(path, slash - path + (slash == path));
}

static int run_commands(struct script *s, const cJSON *root)
{
	const cJSON *cmds = cJSON_GetObjectItemCaseSensitive(root, "commands");
	const cJSON *cmd;

	s->linker = wasm_linker__new();
	if (!s->linker || st_define_spectest(s->linker, s->opts->verbose)) {
		printf("%s: cannot set up the spectest module\n", s->src);
		return -1;
	}
	if (!cJSON_IsArray(cmds)) {
		printf("%s: no commands\n", s->src);
		return -1;
	}
	cJSON_ArrayForEach(cmd, cmds) run_command(s, cmd);
	return 0;
}

int st_run_script(const char *json_path, const struct st_opts *opts,
		  struct st_counts *counts)
{
	struct script s = {.src = json_path, .opts = opts, .counts = counts};
	size_t len;
	char *text = read_file(json_path, &len);
	const char *src;
	cJSON *root;
	int ret = -1;

	if (text)
		mark_nul_escapes(text);
	root = text ? cJSON_Parse(text) : NULL;
	free(text);
	if (!root) {
		printf("%s: cannot read or parse the script\n", json_path);
		counts->failed++;
		return -1;
	}
	src = json_str(root, "source_filename");
	if (src)
		s.src = src;
	s.dir = dir_of(json_path);
	if (s.dir)
		ret = run_commands(&s, root);
	if (ret)
		counts->failed++;
	free_script(&s);
	cJSON_Delete(root);
	return ret;
}
