/* oci_util.c — digests, byte buffers and whole-file reads. */
/* SHA256_Init and co., deprecated in OpenSSL 3: SHA256() and EVP digests
 * load the configuration and a provider first, ~0.8 ms of every run of an
 * image from the store. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "oci/oci.h"

void oci_sha256(const void *buf, size_t len, char out[OCI_DIGEST_LEN])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX ctx;

	SHA256_Init(&ctx);
	SHA256_Update(&ctx, buf, len);
	SHA256_Final(md, &ctx);
	memcpy(out, "sha256:", 7);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

bool oci_digest_valid(const char *d)
{
	if (strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return false;
	for (d += 7; *d; d++)
		if (!((*d >= '0' && *d <= '9') || (*d >= 'a' && *d <= 'f')))
			return false;
	return true;
}

int oci_buf_add(struct oci_buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *nd;

		while (cap < b->len + n + 1)
			cap *= 2;
		nd = realloc(b->data, cap);
		if (!nd)
			return -ENOMEM;
		b->data = nd;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0; /* JSON bodies are parsed as strings */
	return 0;
}

void oci_buf_free(struct oci_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

int oci_read_file(const char *path, struct oci_buf *b, struct oci_err *e)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0) {
		r = -errno;
		snprintf(e->msg, sizeof(e->msg), "%s: %s", path,
			 strerror(errno));
		return r;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		if ((r = oci_buf_add(b, chunk, n)))
			break;
	if (n < 0)
		r = -errno;
	close(fd);
	if (r) {
		snprintf(e->msg, sizeof(e->msg), "%s: %s", path, strerror(-r));
		oci_buf_free(b);
	} else if (!b->data) {
		r = oci_buf_add(b, "", 0);
	}
	return r;
}

char *oci_base64(const void *buf, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, buf, len);
	return out;
}

int oci_unbase64(const char *s, struct oci_buf *out)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *tmp;
	int k, r;

	if (n % 4)
		return -EINVAL;
	tmp = malloc(n / 4 * 3 + 1);
	if (!tmp)
		return -ENOMEM;
	k = EVP_DecodeBlock(tmp, (const unsigned char *)s, n);
	if (k < 0) {
		free(tmp);
		return -EINVAL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
		pad++;
	r = oci_buf_add(out, tmp, k - pad);
	free(tmp);
	return r ? r : (int)(k - pad);
}

int oci_write_file(const char *path, const void *buf, size_t len, int mode,
		   struct oci_err *e)
{
	char tmp[4200];
	const char *p = buf;
	int fd, r = 0;

	snprintf(tmp, sizeof(tmp), "%.4000s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		goto fail;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		p += n;
		len -= n;
	}
	if (fsync(fd) || fchmod(fd, mode) || rename(tmp, path))
		goto fail;
	close(fd);
	return 0;
fail:
	r = -errno;
	snprintf(e->msg, sizeof(e->msg), "%.300s: %s", path, strerror(errno));
	if (fd >= 0) {
		unlink(tmp);
		close(fd);
	}
	return r;
}
