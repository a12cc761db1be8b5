/*
 * git_trust.c - keeps libgit2 from reading the system's TLS trust store.
 *
 * ar never talks to a remote, so it never needs a TLS trust store.  Yet a
 * libgit2 built with mbedTLS (Debian's is) parses the whole system CA bundle
 * in git_libgit2_init: about 3 ms of every ar command, a fifth of an
 * `ar step` (bench/overhead).  So libgit2's call to
 * mbedtls_x509_crt_parse_file reaches no_trust_store instead:
 *
 *  - linked statically (AR_STATIC_DEPS, CMakeLists.txt), through
 *    -Wl,--wrap=mbedtls_x509_crt_parse_file, which sends libgit2's
 *    reference to __wrap_mbedtls_x509_crt_parse_file;
 *  - with a shared libgit2, through ELF symbol interposition: the
 *    executable's definition comes first in the lookup scope.  It is weak
 *    so that it yields to libmbedx509's own in a static link.
 *
 * Nothing in ar calls either, so ar_deps's link options name the one in
 * use with -Wl,--undefined: that pulls this file out of libarcore.a into
 * every program that links libgit2.
 *
 * Should a future ar fetch over HTTPS, the empty trust store fails closed:
 * every certificate is refused.  With a libgit2 built on OpenSSL neither
 * is used.
 */
struct mbedtls_x509_crt;
int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
	__attribute__((weak));
int __wrap_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain,
                                       const char *path);

static int no_trust_store(struct mbedtls_x509_crt *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	return no_trust_store(chain, path);
}

int __wrap_mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain,
                                       const char *path)
{
	return no_trust_store(chain, path);
}
