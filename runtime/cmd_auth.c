/* cmd_auth.c — `wasm-bpf login|logout` (credentials in the docker/podman
 * auth file) and `wasm-bpf sign|verify` (cosign key signatures). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/cmd_common.h"

/* A registry argument as `login` takes it: HOST[:PORT], no repository. */
static int registry_arg(const char *cmd, const char *arg, struct oci_ref *r)
{
	char buf[400];

	if (strchr(arg, '/'))
		return cmd_fail(cmd,
				"%s: give a registry (HOST[:PORT]), not "
				"an image",
				arg);
	snprintf(buf, sizeof(buf), "%s/wasm-bpf-login", arg);
	return cmd_ref(cmd, buf, r);
}

static char *read_password(bool from_stdin)
{
	char line[1024], *p;

	if (!from_stdin) {
		if (!isatty(STDIN_FILENO))
			return NULL;
		p = getpass("Password: ");
		return p ? strdup(p) : NULL;
	}
	if (!fgets(line, sizeof(line), stdin))
		return strdup("");
	line[strcspn(line, "\r\n")] = 0;
	return strdup(line);
}

int cmd_login(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"username", required_argument, NULL, 'u'},
	    {"password", required_argument, NULL, 'p'},
	    {"password-stdin", no_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	const char *syn = "REGISTRY -u USER [--password-stdin | -p PASSWORD]";
	const char *user = NULL, *pass = NULL;
	struct oci_client_opts co;
	struct oci_client *c;
	bool from_stdin = false;
	struct oci_ref ref;
	struct oci_err e;
	char *pw;
	int o, r;

	while ((o = getopt_long(argc, argv, "u:p:", lo, NULL)) != -1) {
		if (o == 'u')
			user = optarg;
		else if (o == 'p')
			pass = optarg;
		else if (o == 'P')
			from_stdin = true;
		else
			return cmd_usage("login", syn);
	}
	if (argc - optind != 1 || !user)
		return cmd_usage("login", syn);
	if ((r = registry_arg("login", argv[optind], &ref)))
		return r;
	pw = pass ? strdup(pass) : read_password(from_stdin);
	if (!pw)
		return cmd_fail("login", "no password (use --password-stdin)");
	cmd_client_opts(&co, ref.registry);
	co.username = user;
	co.password = pw;
	/* Connecting answers the registry's challenge with these
	 * credentials: a wrong password fails here, before anything is
	 * saved. */
	if (oci_client_new(&ref, &co, &c, &e))
		r = cmd_fail("login", "%s", e.msg);
	else if (oci_client_free(c), oci_auth_store(ref.registry, user, pw, &e))
		r = cmd_fail("login", "%s", e.msg);
	else
		printf("Login Succeeded\n");
	free(pw);
	return r;
}

int cmd_logout(int argc, char **argv)
{
	struct oci_ref ref;
	struct oci_err e;
	int r;

	if (argc != 2)
		return cmd_usage("logout", "REGISTRY");
	if ((r = registry_arg("logout", argv[1], &ref)))
		return r;
	if (oci_auth_remove(ref.registry, &e))
		return cmd_fail("logout", "%s", e.msg);
	printf("Removed login credentials for %s\n", ref.registry);
	return 0;
}

/* The manifest digest `ref` names: its own digest, the store's entry, or
 * (sign only) the registry's manifest. */
static int digest_of(struct oci_store *s, const struct oci_ref *ref,
		     bool remote, char *out, struct oci_err *e)
{
	struct oci_client_opts co;
	struct oci_client *c;
	struct oci_buf body = {0};
	struct oci_desc d;
	char name[700];
	int r;

	if (ref->digest[0]) {
		strcpy(out, ref->digest);
		return 0;
	}
	oci_ref_name(ref, name, sizeof(name));
	if (!(r = oci_store_resolve(s, name, &d, e)) || !remote) {
		strcpy(out, d.digest);
		return r;
	}
	cmd_client_opts(&co, name);
	if ((r = oci_client_new(ref, &co, &c, e)))
		return r;
	r = oci_client_get_manifest(c, ref->tag, &body, &d, e);
	oci_client_free(c);
	oci_buf_free(&body);
	if (!r)
		strcpy(out, d.digest);
	return r;
}

int cmd_sign(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"local", no_argument, NULL, 'l'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *syn = "--key KEY.pem REF [--local] [--store DIR]";
	const char *key = NULL, *dir = NULL;
	struct oci_client_opts co;
	struct oci_store *s;
	struct oci_ref ref;
	struct oci_err e;
	char digest[OCI_DIGEST_LEN];
	bool local = false;
	int o, r;

	while ((o = getopt_long(argc, argv, "k:s:", lo, NULL)) != -1) {
		if (o == 'k')
			key = optarg;
		else if (o == 'l')
			local = true;
		else if (o == 's')
			dir = optarg;
		else
			return cmd_usage("sign", syn);
	}
	if (argc - optind != 1 || !key)
		return cmd_usage("sign", syn);
	if ((r = cmd_ref("sign", argv[optind], &ref)) ||
	    (r = cmd_store("sign", dir, &s)))
		return r;
	cmd_client_opts(&co, ref.repo);
	if (digest_of(s, &ref, !local, digest, &e) ||
	    oci_sign(s, &ref, digest, key, local ? NULL : &co, &e))
		r = cmd_fail("sign", "%s", e.msg);
	else
		printf("signed %s/%s@%s\n", ref.registry, ref.repo, digest);
	oci_store_close(s);
	return r;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"store", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *syn = "--key PUB.pem... REF [--store DIR]";
	const char **keys = NULL, *dir = NULL;
	struct oci_store *s = NULL;
	struct oci_ref ref;
	struct oci_err e;
	char digest[OCI_DIGEST_LEN];
	int o, r, n = 0;

	while ((o = getopt_long(argc, argv, "k:s:", lo, NULL)) != -1) {
		if (o == 'k') {
			if (cmd_add_str(&keys, &n, optarg)) {
				free(keys);
				return cmd_fail("verify", "out of memory");
			}
		} else if (o == 's') {
			dir = optarg;
		} else {
			free(keys);
			return cmd_usage("verify", syn);
		}
	}
	if (argc - optind != 1 || !n) {
		free(keys);
		return cmd_usage("verify", syn);
	}
	if (!(r = cmd_ref("verify", argv[optind], &ref)) &&
	    !(r = cmd_store("verify", dir, &s))) {
		if (digest_of(s, &ref, false, digest, &e) ||
		    oci_verify(s, &ref, digest, keys, n, &e))
			r = cmd_fail("verify", "%s", e.msg);
		else
			printf("verified %s/%s@%s\n", ref.registry, ref.repo,
			       digest);
	}
	oci_store_close(s);
	free(keys);
	return r;
}
