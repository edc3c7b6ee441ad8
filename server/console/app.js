// SPDX-License-Identifier: Apache-2.0
// app.js: the console's shell: the pages (one module each), the navigation between them
// (#/page in the address), the role the user acts in, the language switch, signing out.
// Every page draws itself from the API's replies; no rule is decided here.
import * as api from './api.js';
import { language, setLanguage, t } from './i18n.js';
import { h, toast } from './ui.js';
import signIn from './page_signin.js';
import lookup from './page_lookup.js';
import audit from './page_audit.js';
import approvals from './page_approvals.js';
import dsr from './page_dsr.js';
import users from './page_users.js';
import incidents from './page_incidents.js';
import scan from './page_scan.js';
import report from './page_report.js';
import transfers from './page_transfers.js';

// The pages behind a session, in the navigation's order.
const pages = [lookup, approvals, dsr, audit, users, incidents, scan, report, transfers];
const byId = Object.fromEntries(pages.map((p) => [p.id, p]));

function currentPage() {
	const id = location.hash.replace(/^#\/?/, '');
	if (!api.signedIn())
		return signIn;
	return byId[id] || pages[0];
}

function drawNav(page) {
	const nav = document.getElementById('nav');
	nav.replaceChildren();
	if (!api.signedIn())
		return;
	for (const p of pages)
		nav.append(h('a', { href: '#/' + p.id, 'aria-current': p === page ? 'page' : null },
			t(p.nav)));
}

function drawTools() {
	const s = api.current();
	const on = api.signedIn();
	document.getElementById('who').textContent = on ? t('signedInAs', { user: s.user }) : '';
	const label = document.getElementById('role-label');
	label.hidden = !on;
	const select = document.getElementById('role');
	select.replaceChildren(...(on ? s.roles : []).map((r) =>
		h('option', { value: r, selected: r === s.role }, r)));
	document.getElementById('signout').hidden = !on;
	const lang = document.getElementById('lang');
	lang.textContent = t('otherLanguage');
	lang.lang = language() === 'zh' ? 'en' : 'zh-CN';
	for (const el of document.querySelectorAll('[data-i18n]'))
		el.textContent = t(el.dataset.i18n);
	document.title = 'pivault · ' + t('brand');
}

let shown = null; /* the page drawn last */

export function draw() {
	const page = currentPage();
	if (page !== shown && page.reset)
		page.reset(); /* a page entered anew loads anew */
	shown = page;
	drawTools();
	drawNav(page);
	const main = document.getElementById('main');
	const focused = main.contains(document.activeElement) ? document.activeElement.id : '';
	main.replaceChildren();
	main.dataset.page = page.id;
	page.render(main, { go, draw });
	const again = focused && document.getElementById(focused);
	if (again) /* the same control, drawn again, keeps the focus */
		again.focus();
}

// Go to page id (after signing in, for one).
function go(id) {
	if (location.hash === '#/' + id)
		draw();
	else
		location.hash = '#/' + id;
}

function start() {
	setLanguage(language());
	window.addEventListener('hashchange', () => {
		draw();
		document.getElementById('main').focus();
	});
	document.getElementById('lang').addEventListener('click', () => {
		setLanguage(language() === 'zh' ? 'en' : 'zh');
		draw();
	});
	document.getElementById('role').addEventListener('change', (ev) => {
		api.setRole(ev.target.value);
		draw();
	});
	document.getElementById('signout').addEventListener('click', async () => {
		try {
			await api.signOut();
		} finally {
			toast(t('signedOut'));
			go('signin');
		}
	});
	api.whenEnded(() => {
		toast(t('sessionEnded'));
		go('signin');
	});
	draw();
}

start();
