/* The outbound NAT batch dome hands to nftables (core/nat.c), read back as
 * an admin auditing what dome does to the firewall would: one table of
 * dome's own, replaced whole, one masquerade rule for exactly the subnet
 * and never for traffic that stays on the bridge. The kernel's verdict on
 * the same batch (check mode, nothing applied) is in tests/cli/test_check.sh;
 * no test switches NAT on. */
#include "testutil.h"
#include "nat.h"

static struct dome_subnet subnet(const char *cidr)
{
	struct dome_subnet sn;
	struct dome_error err;
	assert_int_equal(dome_subnet_parse(cidr, &sn, &err), 0);
	return sn;
}

/* The command at INDEX: {"VERB": {"KIND": {...}}}; returns the inner object. */
static json_t *command(json_t *batch, size_t index, const char *verb, const char *kind)
{
	json_t *cmd = json_array_get(json_object_get(batch, "nftables"), index);
	assert_non_null(cmd);
	assert_int_equal(json_object_size(cmd), 1);
	json_t *obj = json_object_get(json_object_get(cmd, verb), kind);
	assert_non_null(obj);
	return obj;
}

static const char *str(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	assert_non_null(s);
	return s;
}

static void assert_dome_table(json_t *obj, const char *table)
{
	assert_string_equal(str(obj, "family"), "ip");
	assert_string_equal(str(obj, "name"), table);
}

static void test_batch_replaces_only_domes_table(void **state)
{
	(void)state;
	struct dome_subnet sn = subnet("10.0.3.0/24");
	json_t *batch = dome_nat_ruleset("dome0", &sn);
	assert_non_null(batch);
	assert_int_equal(json_array_size(json_object_get(batch, "nftables")), 4);
	/* add then flush: the table is emptied and refilled in one transaction */
	assert_dome_table(command(batch, 0, "add", "table"), "dome-dome0");
	assert_dome_table(command(batch, 1, "flush", "table"), "dome-dome0");
	json_t *chain = command(batch, 2, "add", "chain");
	assert_string_equal(str(chain, "table"), "dome-dome0");
	assert_string_equal(str(chain, "type"), "nat");
	assert_string_equal(str(chain, "hook"), "postrouting");
	assert_int_equal(json_integer_value(json_object_get(chain, "prio")), 100); /* srcnat */
	assert_string_equal(str(chain, "policy"), "accept");
	json_decref(batch);
}

static void test_rule_masquerades_the_subnet_leaving_the_bridge(void **state)
{
	(void)state;
	struct dome_subnet sn = subnet("192.168.4.64/27");
	json_t *batch = dome_nat_ruleset("br-lab", &sn);
	json_t *rule = command(batch, 3, "add", "rule");
	assert_string_equal(str(rule, "table"), "dome-br-lab");
	assert_string_equal(str(rule, "chain"), "postrouting");
	json_t *expr = json_object_get(rule, "expr");
	assert_int_equal(json_array_size(expr), 3);

	json_t *from = json_object_get(json_array_get(expr, 0), "match");
	assert_string_equal(str(from, "op"), "==");
	json_t *payload = json_object_get(json_object_get(from, "left"), "payload");
	assert_string_equal(str(payload, "protocol"), "ip");
	assert_string_equal(str(payload, "field"), "saddr");
	json_t *prefix = json_object_get(json_object_get(from, "right"), "prefix");
	assert_string_equal(str(prefix, "addr"), "192.168.4.64");
	assert_int_equal(json_integer_value(json_object_get(prefix, "len")), 27);

	json_t *out = json_object_get(json_array_get(expr, 1), "match");
	assert_string_equal(str(out, "op"), "!=");
	json_t *meta = json_object_get(json_object_get(out, "left"), "meta");
	assert_string_equal(str(meta, "key"), "oifname");
	assert_string_equal(str(out, "right"), "br-lab");

	assert_true(json_object_get(json_array_get(expr, 2), "masquerade") != NULL);
	json_decref(batch);
}

static void test_table_name_holds_the_longest_bridge(void **state)
{
	(void)state;
	char table[32];
	dome_nat_table("abcdefghijklmno", table); /* IFNAMSIZ - 1 = 15 bytes */
	assert_string_equal(table, "dome-abcdefghijklmno");
	dome_nat_table("dome0", table);
	assert_string_equal(table, "dome-dome0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batch_replaces_only_domes_table),
		cmocka_unit_test(test_rule_masquerades_the_subnet_leaving_the_bridge),
		cmocka_unit_test(test_table_name_holds_the_longest_bridge),
	};
	return cmocka_run_group_tests_name("nat", tests, NULL, NULL);
}
