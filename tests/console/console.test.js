// SPDX-License-Identifier: Apache-2.0
// The web console end to end in Debian's headless chromium, driven by playwright-core
// (tests/check_console.sh makes the vault and starts the server, then runs this with
// PV_URL, PV_CHROMIUM, PV_SHOTS, PV_CUSTOMER, PV_PHONE, PV_IDNUM in the environment).
// Each step is a person at the console: signing in, a clerk's lookup that must show only
// masked values (the clear ones appear nowhere in the page's DOM), the audit chain's
// verification, the language switch. Any console error or uncaught exception of a page
// fails the test; every page's screenshot is written to PV_SHOTS/console-*.png.
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { chromium } = require('playwright-core');

const env = (name) => {
	const v = process.env[name];
	if (!v)
		throw new Error('the environment has no ' + name);
	return v;
};
const URL0 = env('PV_URL');
const SHOTS = env('PV_SHOTS');
const CUSTOMER = env('PV_CUSTOMER');
const PHONE = env('PV_PHONE');
const IDNUM = env('PV_IDNUM');
const MARKUP = env('PV_MARKUP'); /* a customer whose name is markup with a script */
const users = {
	admin: 'admin-console-password',
	clerk1: 'clerk1-console-password',
	dpo1: 'dpo1-console-password',
	dpo2: 'dpo2-console-password',
};

const problems = [];
let refusalExpected = null; /* in a step whose point is a refusal: 'refused', 'csp' */
let passed = 0;

// A new browser context (its own sessionStorage: another person) with its page watched.
async function person(browser, lang) {
	const context = await browser.newContext({ locale: lang === 'zh' ? 'zh-CN' : 'en-US',
		viewport: { width: 1200, height: 800 } });
	const page = await context.newPage();
	page.on('console', (m) => {
		if (refusalExpected === 'refused' && /status of (401|403)/.test(m.text()))
			return; /* chromium logs the refusal a step asks for */
		if (refusalExpected === 'csp' && /Content Security Policy/.test(m.text()))
			return; /* the policy's refusal a step asks for */
		if (m.type() === 'error' || m.type() === 'warning')
			problems.push(`console ${m.type()}: ${m.text()}`);
	});
	page.on('pageerror', (e) => problems.push('uncaught: ' + e.message));
	/* a request to another origin is a problem unless the policy blocked it (chromium
	 * reports those as requests that failed) */
	page.on('requestfailed', (r) => {
		if (r.failure().errorText !== 'csp')
			problems.push(`request failed: ${r.url()}: ${r.failure().errorText}`);
	});
	page.on('requestfinished', (r) => {
		if (!r.url().startsWith(URL0 + '/'))
			problems.push('a request left the origin: ' + r.url());
	});
	return { context, page };
}

async function shot(page, name) {
	await page.screenshot({ path: path.join(SHOTS, `console-${name}.png`), fullPage: true });
}

async function step(name, fn, refusal) {
	refusalExpected = refusal || null;
	try {
		await fn();
		passed++;
		console.log('ok - ' + name);
	} catch (e) {
		console.log('not ok - ' + name);
		throw e;
	}
}

async function signIn(page, user) {
	await page.goto(URL0 + '/console/');
	await page.fill('#user', user);
	await page.fill('#password', users[user]);
	await page.press('#password', 'Enter');
	await page.waitForSelector('#nav a');
}

// The purpose prompt answered.
async function givePurpose(page, purpose) {
	await page.waitForSelector('#purpose-dialog[open]');
	await page.fill('#purpose-input', purpose);
	await page.press('#purpose-input', 'Enter');
	await page.waitForSelector('#purpose-dialog', { state: 'detached' });
}

// Everything the page holds: its markup, and the values of its inputs.
async function pageText(page) {
	return page.evaluate(() => document.documentElement.outerHTML + '\n' +
		[...document.querySelectorAll('input, textarea, select')].map((e) => e.value)
			.join('\n'));
}

// Press Tab (nothing else) until the element selector names has the focus.
async function tabTo(page, selector) {
	for (let i = 0; i < 80; i++) {
		await page.keyboard.press('Tab');
		if (await page.evaluate((s) => document.activeElement &&
			document.activeElement.matches(s), selector))
			return;
	}
	throw new Error('Tab never reached ' + selector);
}

async function main() {
	const browser = await chromium.launch({ executablePath: env('PV_CHROMIUM') });
	try {
		await run(browser);
	} finally {
		await browser.close();
	}
}

async function run(browser) {
	const clerk = await person(browser, 'en');
	const page = clerk.page;

	await step('the console is served with its security headers', async () => {
		const r = await page.goto(URL0 + '/console/');
		const h = r.headers();
		assert.equal(r.status(), 200);
		assert.match(h['content-type'], /^text\/html/);
		assert.match(h['content-security-policy'], /script-src 'self'/);
		assert.match(h['content-security-policy'], /connect-src 'self'/);
		assert.match(h['content-security-policy'], /frame-ancestors 'none'/);
		assert.doesNotMatch(h['content-security-policy'], /unsafe-inline|unsafe-eval|\*/);
		assert.equal(h['x-content-type-options'], 'nosniff');
		assert.equal(h['cache-control'], 'no-store');
		const js = await page.request.get(URL0 + '/console/app.js');
		assert.match(js.headers()['content-type'], /^text\/javascript/);
		const api = await page.request.get(URL0 + '/v1/audit/verify'); /* no console */
		assert.equal(api.status(), 401);
		assert.equal(api.headers()['cache-control'], 'no-store');
		const missing = await page.request.get(URL0 + '/console/../v1/openapi.json.x');
		assert.equal(missing.status(), 404);
		await page.waitForSelector('#signin-form');
		await shot(page, 'signin');
	});

	await step('a wrong password is refused with the error shown', async () => {
		await page.fill('#user', 'clerk1');
		await page.fill('#password', 'not the password');
		await page.press('#password', 'Enter');
		await page.waitForSelector('#signin-form .alert');
		assert.equal(await page.inputValue('#password'), '');
	}, 'refused');

	await step('every string exists in Chinese and English', async () => {
		const [zh, en] = await page.evaluate(async () => {
			const m = await import('/console/i18n.js');
			return [m.keys('zh').sort(), m.keys('en').sort()];
		});
		assert.deepEqual(zh, en);
	});

	await step('the clerk signs in; the token is in no cookie and no localStorage', async () => {
		await signIn(page, 'clerk1');
		assert.equal(await page.getAttribute('main', 'data-page'), 'lookup');
		assert.match(await page.textContent('#who'), /clerk1/);
		assert.deepEqual(await clerk.context.cookies(), []);
		assert.equal(await page.evaluate(() => localStorage.length), 0);
		await shot(page, 'lookup');
	});

	await step("the clerk's lookup by id shows only masked values, after the purpose prompt",
		async () => {
			assert.ok(await page.isVisible('#audit-notice'));
			await page.fill('#lookup-value', CUSTOMER);
			await page.check('#lookup-clear'); /* asked for: the role does not allow it */
			await page.click('#lookup-form button[type=submit]');
			await page.waitForSelector('#purpose-dialog[open] .notice');
			await shot(page, 'purpose');
			await givePurpose(page, 'service');
			await page.waitForSelector(`.record[data-id="${CUSTOMER}"]`);
			const phone = await page.textContent('[data-field="phone"] .value');
			assert.match(phone, /\*/);
			assert.equal(await page.textContent('[data-field="phone"] .badge'), 'masked');
			assert.equal(await page.$('[data-field="id_number"]'), null);
			const all = await pageText(page);
			assert.ok(!all.includes(PHONE), 'the clear phone is in the page');
			assert.ok(!all.includes(IDNUM), 'the clear resident id is in the page');
			await shot(page, 'lookup-record');
		});

	await step('a find by phone keeps neither the phone nor a clear value on the page',
		async () => {
			await page.selectOption('#lookup-by', 'field');
			await page.fill('#lookup-field', 'phone');
			await page.fill('#lookup-value', PHONE);
			await page.click('#lookup-form button[type=submit]');
			await givePurpose(page, 'service');
			// the lookup by id left this customer's record on the page: wait for the
			// find's own answer (the page drawn again, its form emptied), not that one
			await page.waitForFunction(() => {
				const v = document.querySelector('#lookup-value');
				return v && v.value === '';
			});
			await page.waitForSelector(`.record[data-id="${CUSTOMER}"]`);
			const all = await pageText(page);
			assert.ok(!all.includes(PHONE), 'the clear phone is in the page');
			assert.ok(!all.includes(IDNUM), 'the clear resident id is in the page');
		});

	await step('a name that is markup with a script is shown as text and runs nothing',
		async () => {
			let dialogs = 0;
			page.on('dialog', (d) => {
				dialogs++;
				d.dismiss();
			});
			await page.selectOption('#lookup-by', 'id');
			await page.fill('#lookup-value', MARKUP);
			await page.click('#lookup-form button[type=submit]');
			await givePurpose(page, 'service');
			await page.waitForSelector(`.record[data-id="${MARKUP}"]`);
			assert.equal(await page.textContent('[data-field="name"] .value'),
				'<img src=x onerror=alert(document.domain)>');
			assert.equal(await page.$('main img'), null);
			await page.waitForTimeout(300);
			assert.equal(dialogs, 0);
		});

	await step('the policy stops injected inline script and scripts of other origins',
		async () => {
			const r = await page.evaluate(() => new Promise((resolve) => {
				const seen = [];
				document.addEventListener('securitypolicyviolation',
					(e) => seen.push(e.violatedDirective));
				const d = document.createElement('div');
				d.innerHTML = '<img src="/console/icon.svg" onload="window.owned = 1">';
				const s = document.createElement('script');
				s.src = 'https://scripts.invalid/x.js';
				const i = document.createElement('script');
				i.textContent = 'window.owned = 2';
				document.body.append(d, s, i);
				setTimeout(() => {
					d.remove(); s.remove(); i.remove();
					resolve({ owned: window.owned || 0, seen });
				}, 500);
			}));
			assert.equal(r.owned, 0);
			assert.ok(r.seen.length >= 3, 'violations seen: ' + r.seen.join(', '));
			assert.ok(r.seen.every((d) => d.startsWith('script-src')), r.seen.join(', '));
		}, 'csp');

	await step('the language switch redraws every string in Chinese and back', async () => {
		await page.click('#lang');
		await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
		assert.equal(await page.textContent('#nav a[href="#/lookup"]'), '客户查询');
		assert.match(await page.textContent('#audit-notice'), /审计日志/);
		await shot(page, 'lookup-zh');
		await page.click('#lang');
		await page.waitForFunction(() => document.documentElement.lang === 'en');
		assert.equal(await page.textContent('#nav a[href="#/lookup"]'), 'Customer lookup');
	});

	await step('the clerk may not verify the audit log: the refusal is shown', async () => {
		await page.click('#nav a[href="#/audit"]');
		await page.click('#audit-verify');
		await page.waitForSelector('main .alert');
	}, 'refused');

	const dpo = await person(browser, 'zh');
	await step('the audit chain verified, in Chinese', async () => {
		await signIn(dpo.page, 'dpo1');
		await dpo.page.click('#nav a[href="#/audit"]');
		await dpo.page.click('#audit-verify');
		await dpo.page.waitForSelector('#audit-state[data-verified="true"]');
		assert.match(await dpo.page.textContent('#audit-state'), /审计链完整/);
		await shot(dpo.page, 'audit');
	});

	const dpo2 = await person(browser, 'en');
	await step('the approval queue shows each request with its exact bound arguments',
		async () => {
			await signIn(dpo2.page, 'dpo2');
			await dpo2.page.click('#nav a[href="#/approvals"]');
			await dpo2.page.waitForSelector('.request[data-state="pending"]');
			const cards = await dpo2.page.$$eval('.request', (els) => els.map((e) =>
				e.textContent));
			assert.equal(cards.length, 2);
			assert.ok(cards.some((c) => c.includes('C00000010') && c.includes('by letter')));
			assert.ok(cards.some((c) => c.includes('C00000011')));
			await shot(dpo2.page, 'approvals');
		});

	await step('the requester is not offered her own request to approve', async () => {
		await dpo.page.click('#nav a[href="#/approvals"]');
		await dpo.page.waitForSelector('.request[data-state="pending"]');
		assert.equal(await dpo.page.$('.request button.approve'), null);
	});

	await step('keyboard only: to the queue, one request approved, one rejected with a reason',
		async () => {
			const p = dpo2.page;
			await p.goto(URL0 + '/console/#/lookup');
			await p.waitForSelector('#lookup-form');
			await tabTo(p, '#nav a[href="#/approvals"]');
			await p.keyboard.press('Enter');
			await p.waitForSelector('.request[data-state="pending"] button.approve');
			const ids = await p.$$eval('.request', (els) => els.map((e) => e.dataset.request));
			await tabTo(p, `[data-request="${ids[0]}"] button.approve`);
			await p.keyboard.press('Enter');
			await p.waitForSelector(`.request[data-request="${ids[0]}"]`, { state: 'detached' });
			await tabTo(p, `[data-request="${ids[1]}"] input`);
			await p.keyboard.type('not the customer\'s wish');
			await tabTo(p, `[data-request="${ids[1]}"] button.reject`);
			await p.keyboard.press('Enter');
			await p.waitForSelector('#approvals-empty');
			await p.selectOption('#approvals-which', 'all');
			await p.waitForSelector(`.request[data-request="${ids[1]}"][data-state="rejected"]`);
			assert.match(await p.textContent(`[data-request="${ids[0]}"]`), /approved by dpo2/);
			await shot(p, 'approvals-decided');
		});

	await step('four eyes in two browsers: dpo1 asks to erase, dpo2 approves, dpo1 runs it',
		async () => {
			const a = dpo.page, b = dpo2.page;
			await a.click('#nav a[href="#/dsr"]');
			const row = 'tr[data-dsr]:has(td:text-is("C00000012"))';
			await a.waitForSelector(row);
			await shot(a, 'dsr');
			await a.click(`${row} button.erase`);
			await a.waitForSelector('#dsr-status .ok');
			const asked = await a.textContent('#dsr-status .ok');
			const req = /R[0-9A-Za-z-]+|[0-9a-f]{6,}/.exec(asked.split(/[:：]/)[1] || asked);
			assert.ok(req, asked);
			await b.click('#approvals-reload');
			await b.selectOption('#approvals-which', 'pending');
			await b.waitForSelector('.request[data-state="pending"]');
			const bound = await b.textContent('.request[data-state="pending"] .args');
			assert.match(bound, /D[0-9A-Za-z-]*|dsr/i);
			await b.click('.request[data-state="pending"] button.approve');
			await b.waitForSelector('#approvals-empty');
			await a.click(`${row} button.erase`);
			await a.waitForSelector(`${row}`, { state: 'detached' });
			assert.match(await a.textContent('#dsr-status .ok'), /C00000012/);
		});

	await step('a DSR answered: a restriction fulfilled and the request closed', async () => {
		const a = dpo.page;
		const row = 'tr[data-dsr]:has(td:text-is("C00000013"))';
		await a.click(`${row} button.fulfil`);
		await a.waitForSelector('#dsr-status .ok');
		if (await a.$(`${row}[data-state="open"], ${row}[data-state="overdue"]`)) {
			/* still open: closed with its outcome */
			await a.fill(`${row} input.outcome`, 'processing restricted');
			await a.click(`${row} button.close`);
			await a.waitForSelector(row, { state: 'detached' });
		}
		await a.selectOption('#dsr-which', 'all');
		await a.waitForSelector(`${row}[data-state^="closed"]`);
		await shot(a, 'dsr-answered');
	});

	await step("the clerk's reads are in the audit log under her name and purpose",
		async () => {
			const a = dpo.page;
			await a.click('#nav a[href="#/audit"]');
			await a.fill('#audit-customer', CUSTOMER);
			await a.click('#audit-filter button[type=submit]');
			await a.waitForSelector('#audit-entries tbody tr');
			const rows = await a.$$eval('#audit-entries tbody tr', (els) =>
				els.map((e) => e.textContent));
			assert.ok(rows.some((r) => r.includes('clerk1') && r.includes('service')), rows);
			const all = await pageText(a);
			assert.ok(!all.includes(PHONE));
			await shot(a, 'audit-log');
		});

	await step('the transfer wizard: plan, assessment, notices, objections, export under ' +
		'four eyes, with its progress', async () => {
		const a = dpo.page, b = dpo2.page;
		await a.click('#nav a[href="#/transfers"]');
		await a.waitForSelector('#plan-form');
		await a.fill('#plan-recipient_name', '新顺物流有限公司');
		await a.fill('#plan-recipient_contact', 'dpo@xinshun.example');
		await a.fill('#plan-recipient_key', env('PV_AGE_KEY'));
		await a.fill('#plan-deadline', '2026-01-01');
		await a.click('#plan-form button[type=submit]');
		const wiz = '.wizard[data-transfer]';
		await a.waitForSelector(wiz);
		const stepsDone = async () => Number(await a.getAttribute('.progress', 'aria-valuenow'));
		const before = await stepsDone();
		const saved = async (click) => {
			const [download] = await Promise.all([a.waitForEvent('download'), click()]);
			return download.suggestedFilename();
		};
		assert.match(await saved(() => a.click(`${wiz} [data-step="assessment"] button`)),
			/^assessment-/);
		await a.fill(`${wiz} .notice-purpose`, 'service');
		assert.match(await saved(() => a.click(`${wiz} [data-step="notices"] button`)),
			/^notices-/);
		await a.click(`${wiz} [data-step="objections"] button.plain`);
		await a.waitForSelector('#transfer-status .ok');
		await a.click(`${wiz} button.export`);
		await a.waitForFunction(() => /R-/.test(
			(document.querySelector('#transfer-status .ok') || {}).textContent || ''));
		await b.click('#approvals-reload');
		await b.waitForSelector('.request[data-state="pending"] button.approve');
		await b.click('.request[data-state="pending"] button.approve');
		await b.waitForSelector('#approvals-empty');
		await a.click(`${wiz} button.export`);
		await a.waitForSelector(`${wiz} [data-step="export"].done`);
		assert.ok(await stepsDone() > before);
		assert.match(await saved(() => a.click(`${wiz} [data-step="export"] button.plain`)),
			/\.age$/);
		await shot(a, 'transfers');
	});

	await step('an incident recorded, scoped from the audit log to what clerk1 read, sealed',
		async () => {
			const a = dpo.page;
			await a.click('#nav a[href="#/incidents"]');
			await a.waitForSelector('#incident-open');
			await a.fill('#incident-at', '2026-01-02T03:04');
			await a.fill('#incident-text', 'a clerk\'s screen photographed');
			await a.click('#incident-open button[type=submit]');
			await a.waitForSelector('.incident[data-incident], #incident-status .alert');
			assert.equal(await a.$('#incident-status .alert'), null,
				await a.textContent('#incident-status'));
			const card = '.incident[data-incident]';
			await a.fill(`${card} .scope-user`, 'clerk1');
			await a.click(`${card} button.scope`);
			await a.waitForSelector('#incident-status .ok');
			assert.match(await a.textContent('#incident-status .ok'), /[1-9]/);
			await a.click(`${card} button.seal`);
			await a.waitForFunction(() => /[1-9]/.test(
				(document.querySelector('#incident-status .ok') || {}).textContent || ''));
			await shot(a, 'incidents');
		});

	await step('the compliance report and the PII scan, values never shown', async () => {
		const a = dpo.page;
		await a.click('#nav a[href="#/report"]');
		await a.click('#report-make');
		await a.waitForSelector('#report-findings tbody tr');
		await shot(a, 'report');
		await a.click('#nav a[href="#/scan"]');
		await a.click('#scan-vault');
		await a.waitForSelector('#scan-columns, main .alert');
		assert.equal(await a.$('main .alert'), null, await a.textContent('main'));
		assert.match(await a.textContent('main'), /customers scanned|位客户/);
		const all = await pageText(a);
		assert.ok(!all.includes(PHONE) && !all.includes(IDNUM));
		await shot(a, 'scan');
	});

	const admin = await person(browser, 'en');
	await step('users and their obligations', async () => {
		await signIn(admin.page, 'admin');
		await admin.page.click('#nav a[href="#/users"]');
		await admin.page.waitForSelector('tr[data-user="clerk1"]');
		assert.equal(await admin.page.getAttribute('tr[data-user="clerk1"]', 'data-gaps'),
			'false');
		assert.equal(await admin.page.getAttribute('tr[data-user="admin"]', 'data-gaps'),
			'true');
		await shot(admin.page, 'users');
	});

	await step('signing out ends the session', async () => {
		await page.click('#signout');
		await page.waitForSelector('#signin-form');
		assert.equal(await page.evaluate(() => sessionStorage.getItem('pv.session')), null);
	});

	await step('no console error, no uncaught exception, no request elsewhere', async () => {
		assert.deepEqual(problems, []);
	});
}

main().then(() => {
	console.log(`${passed} passed, 0 failed`);
}, (e) => {
	console.error(e);
	if (problems.length)
		console.error('page problems:\n' + problems.join('\n'));
	console.log(`${passed} passed, 1 failed`);
	process.exit(1);
});
