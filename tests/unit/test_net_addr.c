/* Subnet math, address parsing, MAC derivation and leases (database only;
 * the kernel side is tests/integration/test_net.c). */
#include "testutil.h"
#include <sys/wait.h>
#include <unistd.h>
#include "net.h"

static uint32_t ip(const char *s)
{
	uint32_t a;
	struct dome_error err;
	assert_int_equal(dome_ipv4_parse(s, &a, &err), 0);
	return a;
}

static void test_subnet_math_for_every_prefix(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_subnet sn;
	for (unsigned prefix = 8; prefix <= 30; prefix++) {
		char cidr[32], back[20];
		snprintf(cidr, sizeof cidr, "10.0.0.0/%u", prefix);
		assert_int_equal(dome_subnet_parse(cidr, &sn, &err), 0);
		assert_int_equal(sn.prefix, prefix);
		assert_int_equal(sn.network, ip("10.0.0.0"));
		assert_int_equal(sn.gateway, ip("10.0.0.1"));
		assert_int_equal(sn.first, ip("10.0.0.2"));
		uint32_t broadcast = ip("10.0.0.0") + (1u << (32 - prefix)) - 1;
		assert_int_equal(dome_subnet_broadcast(&sn), broadcast);
		assert_int_equal(sn.last, broadcast - 1);
		assert_int_equal(dome_subnet_size(&sn), (1u << (32 - prefix)) - 3);
		dome_subnet_format(&sn, back);
		assert_string_equal(back, cidr);
	}
	assert_int_equal(dome_subnet_parse("192.168.4.64/27", &sn, &err), 0);
	char a[16];
	dome_ipv4_format(sn.last, a);
	assert_string_equal(a, "192.168.4.94");
	dome_ipv4_format(sn.gateway, a);
	assert_string_equal(a, "192.168.4.65");
	/* /30: exactly one container address. */
	assert_int_equal(dome_subnet_parse("10.9.9.4/30", &sn, &err), 0);
	assert_int_equal(sn.first, sn.last);
	assert_int_equal(sn.first, ip("10.9.9.6"));
}

static void test_subnet_rejects(void **state)
{
	(void)state;
	struct dome_error err;
	struct dome_subnet sn;
	const char *bad[] = { "", "10.0.0.0", "10.0.0.0/", "10.0.0.0/7", "10.0.0.0/31",
			      "10.0.0.0/32", "10.0.0/24", "10.0.0.0.0/24", "256.0.0.0/24",
			      "10.0.0.0/24 ", " 10.0.0.0/24", "10.0.0.0/+24", "10.0.0.0/024x",
			      "010.0.0.0/24", "10.0.0.0/2a", "a.b.c.d/24" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(dome_subnet_parse(bad[i], &sn, &err), -1);
		assert_int_equal(err.status, DOME_E_USAGE);
		assert_non_null(strstr(err.msg, "10.77.0.0/24"));
	}
	assert_int_equal(dome_subnet_parse("10.77.0.5/24", &sn, &err), -1);
	assert_non_null(strstr(err.msg, "did you mean 10.77.0.0/24"));
}

static void test_ipv4_parse_is_strict(void **state)
{
	(void)state;
	struct dome_error err;
	uint32_t a;
	assert_int_equal(dome_ipv4_parse("0.0.0.0", &a, &err), 0);
	assert_int_equal(a, 0);
	assert_int_equal(dome_ipv4_parse("255.255.255.255", &a, &err), 0);
	assert_int_equal(a, UINT32_MAX);
	assert_int_equal(dome_ipv4_parse("10.1.2.3", &a, &err), 0);
	assert_int_equal(a, (10u << 24) | (1u << 16) | (2u << 8) | 3u);
	const char *bad[] = { "", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.4/24",
			      "1.2.3.-4", " 1.2.3.4", "1..3.4", "0x1.2.3.4", "1.2.3.4 " };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(dome_ipv4_parse(bad[i], &a, &err), -1);
		assert_int_equal(err.status, DOME_E_USAGE);
	}
	char out[16];
	dome_ipv4_format(ip("172.16.254.1"), out);
	assert_string_equal(out, "172.16.254.1");
}

static unsigned hexbyte(const char *p)
{
	unsigned v;
	assert_int_equal(sscanf(p, "%2x", &v), 1);
	return v;
}

static void test_mac_is_stable_local_unicast(void **state)
{
	(void)state;
	char a[18], b[18], c[18];
	dome_mac_for("web", a);
	dome_mac_for("web", b);
	dome_mac_for("db", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	const char *names[] = { "web", "db", "a", "x9-y8-z7", "a-very-long-container-name-1" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		dome_mac_for(names[i], a);
		assert_int_equal(strlen(a), 17);
		for (int k = 0; k < 6; k++) {
			if (k < 5)
				assert_int_equal(a[k * 3 + 2], ':');
			hexbyte(a + k * 3);
		}
		unsigned first = hexbyte(a);
		assert_true(first & 0x02);    /* locally administered */
		assert_false(first & 0x01);   /* unicast */
	}
	/* The known value for "web": 02 then the first 5 bytes of SHA-256("web"). */
	dome_mac_for("web", a);
	assert_string_equal(a, "02:4b:5e:57:f6:eb"); /* printf web | sha256sum */
}

/* ---- leases against a real database ---- */

struct fixture {
	char *root;
	struct dome_ctx *ctx;
};

static struct dome_ctx *open_ctx(const char *root)
{
	struct dome_open_opts o = { .root = root, .config_path = "/dev/null" };
	struct dome_error err;
	struct dome_ctx *ctx = dome_open(&o, &err);
	if (!ctx)
		fail_msg("dome_open: %s", err.msg);
	return ctx;
}

static int setup_db(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	f->root = testutil_mkroot();
	f->ctx = open_ctx(f->root);
	snprintf(f->ctx->cfg.subnet, sizeof f->ctx->cfg.subnet, "10.99.0.0/29");
	struct dome_image img = { 0 };
	struct dome_error err;
	snprintf(img.name, sizeof img.name, "base");
	snprintf(img.path, sizeof img.path, "/images/base");
	snprintf(img.init_cmd, sizeof img.init_cmd, "/sbin/init");
	snprintf(img.shell, sizeof img.shell, "/bin/sh");
	img.created_at = dome_now_ms();
	assert_int_equal(dome_image_insert(f->ctx->store, &img, &err), 0);
	*state = f;
	return 0;
}

static int teardown_db(void **state)
{
	struct fixture *f = *state;
	dome_close(f->ctx);
	testutil_rmroot(f->root);
	free(f);
	return 0;
}

static struct dome_container add_container(struct dome_ctx *ctx, const char *name,
					   const char *ipv4)
{
	struct dome_container c = { 0 };
	struct dome_error err;
	snprintf(c.name, sizeof c.name, "%s", name);
	snprintf(c.image, sizeof c.image, "base");
	snprintf(c.net_mode, sizeof c.net_mode, "bridge");
	snprintf(c.ipv4_static, sizeof c.ipv4_static, "%s", ipv4 ? ipv4 : "");
	c.created_at = dome_now_ms();
	dome_limits_init(&c.limits);
	if (dome_inv_insert(ctx->store, &c, &err) < 0)
		fail_msg("insert %s: %s", name, err.msg);
	return c;
}

static void test_leases_distinct_until_exhausted(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	uint32_t got[5];
	for (int i = 0; i < 5; i++) {
		char name[16];
		snprintf(name, sizeof name, "c%d", i);
		struct dome_container c = add_container(f->ctx, name, NULL);
		assert_int_equal(dome_net_lease(f->ctx, &c, &got[i], &err), 0);
		assert_true(got[i] >= ip("10.99.0.2") && got[i] <= ip("10.99.0.6"));
		for (int k = 0; k < i; k++)
			assert_int_not_equal(got[i], got[k]);
		uint32_t again;
		assert_int_equal(dome_net_lease_of(f->ctx, c.id, &again, &err), 0);
		assert_int_equal(again, got[i]);
	}
	struct dome_container sixth = add_container(f->ctx, "c5", NULL);
	uint32_t a;
	assert_int_equal(dome_net_lease(f->ctx, &sixth, &a, &err), -1);
	assert_non_null(strstr(err.msg, "10.99.0.0/29"));
	assert_non_null(strstr(err.msg, "all 5 addresses"));
	/* Releasing one frees exactly that address for the next. */
	struct dome_container c2;
	assert_int_equal(dome_inv_get(f->ctx->store, "c2", &c2, &err), 0);
	assert_int_equal(dome_net_release(f->ctx, c2.id, &err), 0);
	assert_int_equal(dome_net_lease_of(f->ctx, c2.id, &a, &err), 0);
	assert_int_equal(a, 0);
	assert_int_equal(dome_net_lease(f->ctx, &sixth, &a, &err), 0);
	assert_int_equal(a, got[2]);
}

static void test_lease_is_kept_across_calls(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	struct dome_container c = add_container(f->ctx, "keep", NULL);
	uint32_t a, b;
	assert_int_equal(dome_net_lease(f->ctx, &c, &a, &err), 0);
	assert_int_equal(dome_net_lease(f->ctx, &c, &b, &err), 0);
	assert_int_equal(a, b);
	struct dome_lease *list;
	size_t n;
	assert_int_equal(dome_net_leases(f->ctx, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].container, "keep");
	assert_int_equal(list[0].address, a);
	assert_false(list[0].is_static);
	free(list);
}

static void test_static_address_checks(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	uint32_t a;
	struct dome_container s1 = add_container(f->ctx, "s1", "10.99.0.5");
	assert_int_equal(dome_net_lease(f->ctx, &s1, &a, &err), 0);
	assert_int_equal(a, ip("10.99.0.5"));

	struct dome_container dup = add_container(f->ctx, "dup", "10.99.0.5");
	assert_int_equal(dome_net_lease(f->ctx, &dup, &a, &err), -1);
	assert_non_null(strstr(err.msg, "taken by container s1"));

	struct {
		const char *addr, *why;
	} bad[] = {
		{ "10.99.1.5", "outside the subnet 10.99.0.0/29" },
		{ "10.99.0.0", "the network address" },
		{ "10.99.0.1", "the gateway" },
		{ "10.99.0.7", "the broadcast address" },
		{ "10.99.0.300", "not an IPv4 address" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char name[16];
		snprintf(name, sizeof name, "bad%zu", i);
		struct dome_container c = add_container(f->ctx, name, bad[i].addr);
		assert_int_equal(dome_net_lease(f->ctx, &c, &a, &err), -1);
		if (!strstr(err.msg, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].addr, err.msg, bad[i].why);
		assert_int_equal(dome_net_lease_of(f->ctx, c.id, &a, &err), 0);
		assert_int_equal(a, 0);
	}
	/* A dynamic lease never hands out the static one. */
	for (int i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof name, "d%d", i);
		struct dome_container c = add_container(f->ctx, name, NULL);
		assert_int_equal(dome_net_lease(f->ctx, &c, &a, &err), 0);
		assert_int_not_equal(a, ip("10.99.0.5"));
	}
}

/* Two processes lease for their own containers at the same moment: every
 * address is handed out once. */
static void test_concurrent_leases_never_collide(void **state)
{
	struct fixture *f = *state;
	struct dome_error err;
	snprintf(f->ctx->cfg.subnet, sizeof f->ctx->cfg.subnet, "10.98.0.0/24");
	enum { PER_PROC = 60 };
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < PER_PROC; i++) {
			char name[32];
			snprintf(name, sizeof name, "p%d-%d", p, i);
			add_container(f->ctx, name, NULL);
		}
	pid_t kids[2];
	for (int p = 0; p < 2; p++) {
		kids[p] = fork();
		assert_true(kids[p] >= 0);
		if (kids[p] == 0) {
			struct dome_ctx *ctx = open_ctx(f->root);
			snprintf(ctx->cfg.subnet, sizeof ctx->cfg.subnet, "10.98.0.0/24");
			int failures = 0;
			for (int i = 0; i < PER_PROC; i++) {
				char name[32];
				struct dome_container c;
				uint32_t a;
				snprintf(name, sizeof name, "p%d-%d", p, i);
				if (dome_inv_get(ctx->store, name, &c, &err) < 0 ||
				    dome_net_lease(ctx, &c, &a, &err) < 0)
					failures++;
			}
			dome_close(ctx);
			_exit(failures ? 1 : 0);
		}
	}
	for (int p = 0; p < 2; p++) {
		int st;
		assert_int_equal(waitpid(kids[p], &st, 0), kids[p]);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
	struct dome_lease *list;
	size_t n;
	assert_int_equal(dome_net_leases(f->ctx, &list, &n, &err), 0);
	assert_int_equal(n, 2 * PER_PROC);
	for (size_t i = 1; i < n; i++)
		assert_true(list[i].address > list[i - 1].address);
	free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subnet_math_for_every_prefix),
		cmocka_unit_test(test_subnet_rejects),
		cmocka_unit_test(test_ipv4_parse_is_strict),
		cmocka_unit_test(test_mac_is_stable_local_unicast),
		cmocka_unit_test_setup_teardown(test_leases_distinct_until_exhausted, setup_db,
						teardown_db),
		cmocka_unit_test_setup_teardown(test_lease_is_kept_across_calls, setup_db,
						teardown_db),
		cmocka_unit_test_setup_teardown(test_static_address_checks, setup_db, teardown_db),
		cmocka_unit_test_setup_teardown(test_concurrent_leases_never_collide, setup_db,
						teardown_db),
	};
	return cmocka_run_group_tests_name("net_addr", tests, NULL, NULL);
}
