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
