/* SPDX-License-Identifier: Apache-2.0 */
/* test_cli_handover.c: the handover, deregistration, backup and key commands run as a
 * user would, with their exit codes: transfer plan/list/show/assess/notify/exclusions,
 * handover export/import/verify-receipt/confirm, backup create/verify and restore,
 * rekey --root, decommission plan/run; usage errors exit 2 and name what is missing;
 * files that must not exist are never overwritten. */
#include "testutil.h"

#include "dates.h"
#include "pivault.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *g_dir;

/* The shell command prefix running pivault on a vault (DIR/name) with key DIR/key. */
static char *pv(const char *vault, const char *key)
{
	char *s = malloc(8192);
	snprintf(s, 8192, "PIVAULT_VAULT='%s/%s' PIVAULT_KEY_FILE='%s/%s' '%s'", g_dir, vault,
		 g_dir, key, pvt_program("pivault-test"));
	return pvt_keep(s);
}

static char *path(const char *name)
{
	return pvt_keep(pvt_path(g_dir, name));
}

static int group_setup(void **state)
{
	(void)state;
	g_dir = pvt_tempdir();
	/* pvt_program's answer lives in static storage: keep a copy of each */
	char *p = pvt_keep(strdup(pvt_program("pivault-test")));
	char *gen = pvt_keep(strdup(pvt_program("pvgen")));
	int st = pvt_run(NULL, "cd '%s' && printf 'password-123' > pw && '%s' keygen s.key >/dev/null && "
			 "'%s' keygen b.key >/dev/null && age-keygen -o buyer.age 2>/dev/null && "
			 "PIVAULT_PASSWORD_FILE=pw '%s' init seller --schema "
			 "'%s/examples/schema.yaml' --key-file s.key --admin admin --slots 1024 >/dev/null && "
			 "PIVAULT_PASSWORD_FILE=pw '%s' init buyer --schema "
			 "'%s/examples/schema.yaml' --key-file b.key --admin admin --slots 1024 >/dev/null && "
			 "'%s' -n 40 --seed 8 --canonical | PIVAULT_VAULT=seller PIVAULT_KEY_FILE=s.key "
			 "'%s' import - --role admin >/dev/null",
			 g_dir, p, p, p, PV_SOURCE_DIR, p, PV_SOURCE_DIR, gen, p);
	assert_int_equal(st, 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	pvt_release_all();
	pvt_rmtree(g_dir);
	free(g_dir);
	return 0;
}

/* The buyer vault's signing key as `pivault pubkey` prints it (kept). */
static char *buyer_key(void)
{
	char *key = NULL;
	assert_int_equal(pvt_run(&key, "%s pubkey --role admin 2>/dev/null", pv("buyer", "b.key")),
			 0);
	key[strcspn(key, "\n")] = '\0';
	assert_int_equal(strlen(key), 64);
	return pvt_keep(key);
}

/* A plan whose deadline is today (objections made today count, and it may be exported),
 * pinning the buyer vault's key. */
static char *plan_id(void)
{
	char *out = NULL, today[11];
	pv_date_today(0, today);
	int st = pvt_run(&out, "%s transfer plan --role admin --recipient-name 'Buyer Ltd' "
			 "--recipient-contact dpo@buyer.example --recipient-key '%s' --deadline %s "
			 "--recipient-vault-key %s --json", pv("seller", "s.key"), path("buyer.age"),
			 today, buyer_key());
	assert_int_equal(st, 0);
	json_error_t je;
	json_t *o = json_loads(out, 0, &je);
	char *id = strdup(json_string_value(json_object_get(o, "transfer")));
	json_decref(o);
	free(out);
	return pvt_keep(id);
}

static void test_usage(void **state)
{
	(void)state;
	const char *p = pvt_program("pivault-test");
	static const char *const bad[] = {
		"transfer plan --recipient-name X",            /* no contact, no key */
		"transfer show",                               /* no plan */
		"handover export T-1",                         /* no -o */
		"handover import pkg.age",                     /* no --identity */
		"transfer pin-key T-1",                        /* no --recipient-vault-key */
		"audit check-proof p.txt --checkpoint c.txt",  /* no --public-key */
		"decommission run --keeper-name K",            /* no contact, key, archive */
		"rekey --root",                                /* no new key */
		"restore onlyone",                             /* no DIR */
		"dsr correct D-1",                             /* no FIELD=VALUE */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int st = pvt_run(NULL, "'%s' %s >/dev/null 2>&1", p, bad[i]);
		if (st != 2)
			fail_msg("pivault %s exited %d, not 2", bad[i], st);
	}
	static const char *const helps[] = { "transfer", "handover", "decommission", "backup",
					     "restore", "rekey" };
	for (size_t i = 0; i < sizeof helps / sizeof *helps; i++) {
		char *out = NULL;
		assert_int_equal(pvt_run(&out, "'%s' %s --help", p, helps[i]), 0);
		assert_non_null(strstr(out, "usage: pivault"));
		free(out);
	}
}

/* A receipt for transfer id's package signed by a fresh key that it carries, written to
 * file: what an insider can make without the buyer. */
static void forge_receipt_file(const char *seller, const char *id, const char *file)
{
	char *out = NULL;
	assert_int_equal(pvt_run(&out, "%s transfer show %s --role admin", seller, id), 0);
	json_error_t je;
	json_t *t = json_loads(out, 0, &je), *pkg = json_object_get(t, "package");
	free(out);
	assert_non_null(pkg);
	uint8_t pk[32], sk[64], sig[64];
	char pkhex[65], sighex[129];
	crypto_sign_keypair(pk, sk);
	sodium_bin2hex(pkhex, sizeof pkhex, pk, sizeof pk);
	json_t *body = json_pack("{s:s, s:i, s:O, s:s, s:O, s:O, s:O, s:O, s:s, s:s, s:s}",
				 "type", "pivault handover receipt", "version", 1, "package",
				 json_object_get(pkg, "package"), "transfer", id, "manifest_sha256",
				 json_object_get(pkg, "manifest_sha256"), "root_hash",
				 json_object_get(pkg, "root_hash"), "records",
				 json_object_get(pkg, "records"), "imported",
				 json_object_get(pkg, "records"), "received", "2026-01-01T00:00:00Z",
				 "recipient_vault", "00000000000000000000000000000000",
				 "recipient_public_key", pkhex);
	char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	crypto_sign_detached(sig, NULL, (const unsigned char *)canon, strlen(canon), sk);
	sodium_memzero(sk, sizeof sk);
	sodium_bin2hex(sighex, sizeof sighex, sig, sizeof sig);
	json_t *doc = json_pack("{s:o, s:s}", "receipt", body, "signature", sighex);
	assert_int_equal(json_dump_file(doc, file, JSON_INDENT(2) | JSON_SORT_KEYS), 0);
	free(canon);
	json_decref(doc);
	json_decref(t);
}

static void test_transfer_and_handover(void **state)
{
	(void)state;
	char *seller = pv("seller", "s.key"), *buyer = pv("buyer", "b.key");
	char *id = plan_id(), *out = NULL;
	assert_int_equal(pvt_run(&out, "%s transfer show %s --role admin", seller, id), 0);
	assert_non_null(strstr(out, "Buyer Ltd"));
	char fp[PV_FINGERPRINT_SIZE];
	assert_int_equal(pv_key_fingerprint(buyer_key(), fp), PV_OK);
	assert_non_null(strstr(out, fp)); /* the pinned key's fingerprint */
	free(out);
	/* pubkey prints the key on standard output and its fingerprint on standard error */
	assert_int_equal(pvt_run(&out, "%s pubkey --role admin 2>&1 >/dev/null",
				 pv("buyer", "b.key")), 0);
	assert_non_null(strstr(out, fp));
	free(out);
	/* a pinned key never changes */
	assert_int_equal(pvt_run(NULL, "%s transfer pin-key %s --recipient-vault-key %s --role admin "
				 "2>/dev/null", seller, id, buyer_key()), 1);
	/* assessment page to a new file; never over an existing one */
	char *page = path("assessment.html");
	assert_int_equal(pvt_run(NULL, "%s transfer assess %s --html -o '%s' --role admin", seller,
				 id, page), 0);
	char *html = pvt_keep(pvt_read_file(page, NULL));
	assert_non_null(strstr(html, "Buyer Ltd"));
	assert_non_null(strstr(html, fp)); /* the recipient vault key's fingerprint */
	assert_int_equal(pvt_run(NULL, "%s transfer assess %s --html -o '%s' --role admin 2>/dev/null",
				 seller, id, page), 1);
	/* notices: one JSON line per customer on stdout, the count on stderr */
	assert_int_equal(pvt_run(&out, "%s transfer notify %s --lang en --jsonl --role admin --purpose service "
				 "2>/dev/null | wc -l", seller, id), 0);
	assert_int_equal(atoi(out), 40);
	free(out);
	/* notify | head -n 5: the customers shown are named in the log, whatever happened to
	 * the rest of the run; without a purpose nothing is shown */
	assert_int_equal(pvt_run(&out, "%s transfer notify %s --lang en --jsonl --role admin "
				 "2>/dev/null | wc -c", seller, id), 0);
	assert_int_equal(atoi(out), 0);
	free(out);
	assert_int_equal(pvt_run(&out, "%s transfer notify %s --lang en --jsonl --role admin "
				 "--purpose service 2>/dev/null | head -n 5", seller, id), 0);
	char *log = NULL;
	assert_int_equal(pvt_run(&log, "%s audit log --json --role admin", seller), 0);
	pvt_keep(log);
	size_t shown = 0;
	for (char *l = out, *e; l && *l; l = e ? e + 1 : NULL, shown++) {
		e = strchr(l, '\n');
		json_t *o = json_loadb(l, e ? (size_t)(e - l) : strlen(l), 0, NULL);
		assert_non_null(o);
		const char *cid = json_string_value(json_object_get(o, "customer_id"));
		int named = 0;
		for (char *a = log, *b; a && *a && !named; a = b ? b + 1 : NULL) {
			b = strchr(a, '\n');
			json_t *en = json_loadb(a, b ? (size_t)(b - a) : strlen(a), 0, NULL);
			const char *op = json_string_value(json_object_get(en, "op"));
			const char *ids = json_string_value(json_object_get(en, "ids"));
			named = op && ids && strcmp(op, "transfer notify") == 0 && strstr(ids, cid);
			json_decref(en);
		}
		if (!named)
			fail_msg("notify showed %s but no audit entry names it", cid);
		json_decref(o);
	}
	assert_int_equal(shown, 5);
	free(out);
	/* an objection keeps a customer out */
	assert_int_equal(pvt_run(NULL, "%s dsr open --customer C00000002 --type object --role admin "
				 ">/dev/null", seller), 0);
	assert_int_equal(pvt_run(&out, "%s transfer exclusions %s --json --role admin", seller, id),
			 0);
	assert_non_null(strstr(out, "\"customer\":\"C00000002\""));
	free(out);
	/* export, import with a receipt, check the receipt, confirm */
	char *pkg = path("pkg.age"), *receipt = path("receipt.json"), *certs = path("certs.json");
	assert_int_equal(pvt_run(&out, "%s handover export %s -o '%s' --role admin --json", seller,
				 id, pkg), 0);
	assert_non_null(strstr(out, "\"records\":39"));
	free(out);
	assert_int_equal(pvt_run(NULL, "%s handover export %s -o '%s' --role admin 2>/dev/null",
				 seller, id, pkg), 1); /* exists */
	/* the attack: a receipt by a fresh key, for the package never imported */
	char *fresh = path("fresh.json");
	forge_receipt_file(seller, id, fresh);
	assert_int_equal(pvt_run(&out, "%s handover confirm '%s' -o '%s' --role admin 2>&1",
				 seller, fresh, certs), 1);
	assert_non_null(strstr(out, "not by the expected key"));
	assert_non_null(strstr(out, fp));
	free(out);
	assert_int_not_equal(access(certs, F_OK), 0); /* no certificate, nothing shredded */
	assert_int_equal(pvt_run(&out, "%s list --json --limit 100 --purpose all --role admin "
				 "| grep -c '^{'", seller), 0);
	assert_int_equal(atoi(out), 40);
	free(out);
	assert_int_equal(pvt_run(NULL, "%s handover verify-receipt '%s' --role admin 2>/dev/null",
				 seller, fresh), 1);
	assert_int_equal(pvt_run(NULL, "'%s' handover verify-receipt '%s' --recipient-vault-key %s "
				 "2>/dev/null", pvt_program("pivault-test"), fresh, buyer_key()), 1);
	assert_int_equal(pvt_run(&out, "%s handover import '%s' --identity '%s' --receipt '%s' "
				 "--role admin --json", buyer, pkg, path("buyer.age"), receipt), 0);
	assert_non_null(strstr(out, "\"records\":39"));
	free(out);
	assert_int_equal(pvt_run(&out, "'%s' handover verify-receipt '%s' --recipient-vault-key %s",
				 pvt_program("pivault-test"), receipt, buyer_key()), 0);
	assert_non_null(strstr(out, fp));
	free(out);
	assert_int_equal(pvt_run(&out, "%s handover verify-receipt '%s' --role admin", seller,
				 receipt), 0);
	assert_non_null(strstr(out, fp));
	free(out);
	/* no key and no vault: nothing to check it against */
	assert_int_equal(pvt_run(NULL, "env -u PIVAULT_VAULT '%s' handover verify-receipt '%s' "
				 ">/dev/null 2>&1", pvt_program("pivault-test"), receipt), 2);
	char *forged = path("forged.json");
	assert_int_equal(pvt_run(NULL, "sed 's/\"records\": 39/\"records\": 38/' '%s' > '%s'",
				 receipt, forged), 0);
	assert_int_equal(pvt_run(NULL, "'%s' handover verify-receipt '%s' --recipient-vault-key %s "
				 ">/dev/null 2>&1", pvt_program("pivault-test"), forged, buyer_key()), 1);
	assert_int_equal(pvt_run(NULL, "%s handover confirm '%s' -o '%s' --role admin 2>/dev/null",
				 seller, forged, certs), 1);
	assert_int_not_equal(access(certs, F_OK), 0); /* no certificate, nothing shredded */
	assert_int_equal(pvt_run(NULL, "%s handover confirm '%s' -o '%s' --role admin 2>/dev/null",
				 seller, receipt, certs), 0);
	char *key = NULL;
	assert_int_equal(pvt_run(&key, "%s pubkey --role admin", seller), 0);
	key[strcspn(key, "\n")] = '\0';
	assert_int_equal(pvt_run(NULL, "'%s' certificate verify '%s' --public-key %s >/dev/null",
				 pvt_program("pivault-test"), certs, key), 0);
	free(key);
	assert_int_equal(pvt_run(&out, "%s list --json --limit 100 --purpose all --role admin",
				 buyer), 0);
	assert_non_null(strstr(out, "C00000001"));
	assert_null(strstr(out, "\"C00000002\""));
	free(out);
}

static void test_backup_restore_and_root(void **state)
{
	(void)state;
	char *buyer = pv("buyer", "b.key"), *bak = path("buyer.bak"), *out = NULL;
	assert_int_equal(pvt_run(NULL, "%s backup create '%s' --role admin >/dev/null", buyer, bak),
			 0);
	assert_int_equal(pvt_run(&out, "%s backup verify '%s' --role admin", buyer, bak), 0);
	assert_non_null(strstr(out, "valid"));
	free(out);
	assert_int_equal(pvt_run(NULL, "cd '%s' && '%s' restore buyer.bak restored --keyring "
				 "buyer.keyring --key-file b.key >/dev/null", g_dir,
				 pvt_program("pivault-test")), 0);
	/* a new root key file: the old one then opens nothing */
	assert_int_equal(pvt_run(NULL, "cd '%s' && '%s' keygen b2.key >/dev/null && %s rekey --root "
				 "--new-key-file b2.key --role admin >/dev/null", g_dir,
				 pvt_program("pivault-test"), buyer), 0);
	assert_int_equal(pvt_run(NULL, "%s list --limit 1 --purpose all --role admin >/dev/null "
				 "2>&1", buyer), 1);
	assert_int_equal(pvt_run(NULL, "%s list --limit 1 --purpose all --role admin >/dev/null",
				 pv("buyer", "b2.key")), 0);
}

static void test_decommission(void **state)
{
	(void)state;
	char *seller = pv("seller", "s.key"), *out = NULL;
	/* the seller has handed everything over but C00000002 */
	assert_int_equal(pvt_run(&out, "%s decommission plan --role admin", seller), 0);
	assert_non_null(strstr(out, "\"customers\": 1"));
	free(out);
	assert_int_equal(pvt_run(NULL, "cd '%s' && age-keygen -o keeper.age 2>/dev/null", g_dir), 0);
	char *archive = path("archive.age"), *report = path("report.json"),
	     *certs = path("dc-certs.json");
	assert_int_equal(pvt_run(NULL, "%s decommission run --keeper-name K --keeper-contact "
				 "k@example.cn --keeper-key '%s' -o '%s' --certificates '%s' --report '%s' "
				 "--role admin 2>/dev/null", seller, path("keeper.age"), archive, certs,
				 report), 0);
	char *text = pvt_keep(pvt_read_file(report, NULL));
	assert_non_null(strstr(text, "\"customers_left\": 0"));
	assert_int_equal(pvt_run(&out, "%s list --json --limit 100 --purpose all --role admin",
				 seller), 0);
	assert_null(strstr(out, "C0000"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_transfer_and_handover),
		cmocka_unit_test(test_backup_restore_and_root),
		cmocka_unit_test(test_decommission),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
