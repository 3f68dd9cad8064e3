#include "certstore.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void certstore_init(struct certstore *cs, size_t max)
{
	memset(cs, 0, sizeof(*cs));
	cs->max = max;
}

static unsigned bucket_of(const uint8_t mac[MAC_LEN])
{
	return (unsigned)(mac[3] * 31u + mac[4] * 7u + mac[5]) % CERTSTORE_BUCKETS;
}

struct cert_entry *certstore_find(const struct certstore *cs, const uint8_t mac[MAC_LEN])
{
	for (struct cert_entry *e = cs->buckets[bucket_of(mac)]; e; e = e->next) {
		if (mac_eq(e->mac, mac))
			return e;
	}
	return NULL;
}

static void entry_free(struct cert_entry *e)
{
	X509_free(e->cert);
	free(e->frame);
	free(e);
}

void certstore_remove(struct certstore *cs, struct cert_entry *e)
{
	for (struct cert_entry **pp = &cs->buckets[bucket_of(e->mac)]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			entry_free(e);
			cs->count--;
			return;
		}
	}
}

/* The entry to push out at the bound: unpinned, never seen signed first, then least used. */
static struct cert_entry *victim(const struct certstore *cs)
{
	struct cert_entry *best = NULL;

	for (unsigned b = 0; b < CERTSTORE_BUCKETS; b++) {
		for (struct cert_entry *e = cs->buckets[b]; e; e = e->next) {
			if (e->pins)
				continue;
			if (!best || (!e->signed_seen && best->signed_seen) ||
			    (e->signed_seen == best->signed_seen && e->used_ms < best->used_ms))
				best = e;
		}
	}
	return best;
}

struct cert_entry *certstore_put(struct certstore *cs, const uint8_t mac[MAC_LEN], X509 *cert,
				 bool pin, uint64_t now_ms)
{
	struct cert_entry *e = certstore_find(cs, mac);
	EVP_PKEY *pub = X509_get0_pubkey(cert);

	if (!pub)
		return NULL;
	if (!e) {
		unsigned b = bucket_of(mac);

		if (cs->count >= cs->max) {
			struct cert_entry *v = victim(cs);

			if (!v)
				return NULL;
			certstore_remove(cs, v);
			cs->evicted++;
		}
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		memcpy(e->mac, mac, MAC_LEN);
		e->next = cs->buckets[b];
		cs->buckets[b] = e;
		cs->count++;
	}
	if (e->cert != cert) {
		if (e->cert && X509_cmp(e->cert, cert) != 0) {
			/* a frame verified with another key proves nothing now */
			free(e->frame);
			e->frame = NULL;
			e->frame_len = 0;
		}
		X509_up_ref(cert);
		X509_free(e->cert);
		e->cert = cert;
		e->pub = pub;
	}
	if (pin)
		e->pins++;
	e->used_ms = now_ms;
	return e;
}

void certstore_unpin(struct certstore *cs, const uint8_t mac[MAC_LEN])
{
	struct cert_entry *e = certstore_find(cs, mac);

	if (e && e->pins)
		e->pins--;
}

int certstore_keep_frame(struct cert_entry *e, const uint8_t *frame, size_t len, int64_t id)
{
	if (len > e->frame_len || !e->frame) {
		uint8_t *p = realloc(e->frame, len);

		if (!p)
			return -ENOMEM;
		e->frame = p;
	}
	memcpy(e->frame, frame, len);
	e->frame_len = len;
	e->frame_id = id;
	return 0;
}

void certstore_foreach(const struct certstore *cs, void (*fn)(struct cert_entry *e, void *arg),
		       void *arg)
{
	for (unsigned b = 0; b < CERTSTORE_BUCKETS; b++) {
		for (struct cert_entry *e = cs->buckets[b]; e; e = e->next)
			fn(e, arg);
	}
}

void certstore_fini(struct certstore *cs)
{
	for (unsigned b = 0; b < CERTSTORE_BUCKETS; b++) {
		while (cs->buckets[b]) {
			struct cert_entry *e = cs->buckets[b];

			cs->buckets[b] = e->next;
			entry_free(e);
		}
	}
	cs->count = 0;
}

/* Ed25519 and Ed448 hash inside the signature; EC and RSA keys sign a SHA-256 digest. */
static const EVP_MD *digest_for(EVP_PKEY *k)
{
	int id = EVP_PKEY_get_base_id(k);

	return id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448 ? NULL : EVP_sha256();
}

/* what a signature covers fits here: the context and a SIGNED_INFO's fixed part and addresses */
#define TBS_MAX 256

int certstore_sign(EVP_PKEY *key, const uint8_t *ctx, size_t ctxlen, const uint8_t *msg, size_t len,
		   uint8_t *sig, size_t cap, size_t *siglen)
{
	uint8_t tbs[TBS_MAX];
	EVP_MD_CTX *md;
	size_t n = cap;
	int ok;

	if (ctxlen + len > sizeof(tbs))
		return -EINVAL;
	/* one shot: Ed25519 takes no streamed input */
	memcpy(tbs, ctx, ctxlen);
	memcpy(tbs + ctxlen, msg, len);
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestSignInit(md, NULL, digest_for(key), NULL, key) == 1 &&
	     EVP_DigestSign(md, sig, &n, tbs, ctxlen + len) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	if (!ok)
		return -EINVAL;
	*siglen = n;
	return 0;
}

bool certstore_verify(EVP_PKEY *pub, const uint8_t *ctx, size_t ctxlen, const uint8_t *msg,
		      size_t len, const uint8_t *sig, size_t siglen)
{
	uint8_t tbs[TBS_MAX];
	EVP_MD_CTX *md;
	bool ok;

	if (ctxlen + len > sizeof(tbs))
		return false;
	memcpy(tbs, ctx, ctxlen);
	memcpy(tbs + ctxlen, msg, len);
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit(md, NULL, digest_for(pub), NULL, pub) == 1 &&
	     EVP_DigestVerify(md, sig, siglen, tbs, ctxlen + len) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

struct saver {
	FILE *f;
	int err;
};

static void save_one(struct cert_entry *e, void *arg)
{
	struct saver *s = arg;

	if (e->signed_seen && !s->err && PEM_write_X509(s->f, e->cert) != 1)
		s->err = -EIO;
}

int certstore_save(const struct certstore *cs, const char *path)
{
	char tmp[4096];
	struct saver s = {NULL, 0};

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	s.f = fopen(tmp, "we");
	if (!s.f)
		return -errno;
	certstore_foreach(cs, save_one, &s);
	if (fclose(s.f) != 0 && !s.err)
		s.err = -errno;
	ERR_clear_error();
	if (!s.err && rename(tmp, path) < 0)
		s.err = -errno;
	if (s.err)
		unlink(tmp);
	return s.err;
}

int certstore_load(struct certstore *cs, const char *path,
		   int (*check)(X509 *cert, uint8_t mac[MAC_LEN], void *arg), void *arg,
		   uint64_t now_ms)
{
	FILE *f = fopen(path, "re");
	int n = 0;
	X509 *c;

	if (!f)
		return -errno;
	/* at most the store's bound: a longer file is someone else's doing */
	for (size_t i = 0; i < cs->max && (c = PEM_read_X509(f, NULL, NULL, NULL)); i++) {
		uint8_t mac[MAC_LEN];
		struct cert_entry *e;

		if (check(c, mac, arg) == 0 && (e = certstore_put(cs, mac, c, false, now_ms))) {
			e->signed_seen = true;
			n++;
		}
		X509_free(c);
	}
	fclose(f);
	ERR_clear_error();
	return n;
}
