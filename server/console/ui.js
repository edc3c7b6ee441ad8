// SPDX-License-Identifier: Apache-2.0
// ui.js: building the page without markup strings (text goes in as text, never parsed as
// HTML), the purpose prompt asked before every read, and how errors are shown.
import { t } from './i18n.js';

// An element: h('button', {type: 'button', onclick: fn}, 'text', child, ...).
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k.startsWith('on'))
			el.addEventListener(k.slice(2), v);
		else if (k === 'class')
			el.className = v;
		else
			el.setAttribute(k, v === true ? '' : v);
	}
	for (const c of children.flat())
		if (c !== undefined && c !== null && c !== false)
			el.append(c instanceof Node ? c : String(c));
	return el;
}

// A labelled input: h('label', ...) holding the text and the control.
export function field(labelKey, control) {
	return h('label', { class: 'field' }, h('span', {}, t(labelKey)), control);
}

// An error as a visible alert.
export function errorBox(e) {
	const text = e && e.code ? t('errorCode', { code: e.code, message: e.message })
		: t('error') + ': ' + (e && e.message ? e.message : String(e));
	return h('p', { class: 'alert', role: 'alert' }, text);
}

export function toast(text) {
	const el = document.getElementById('toast');
	el.textContent = text;
}

// Ask for the purpose of a read (with the audit notice): the purpose, or null when
// cancelled. A modal dialog: focus goes to its input, Enter continues, Escape cancels.
let lastPurpose = '';
export function askPurpose() {
	return new Promise((resolve) => {
		const input = h('input', { name: 'purpose', required: true, autocomplete: 'off',
			value: lastPurpose, id: 'purpose-input' });
		const cancel = h('button', { type: 'button', class: 'plain' }, t('cancel'));
		const form = h('form', { class: 'dialog' },
			h('h2', {}, t('purposeTitle')),
			h('p', {}, t('purposeAsk')),
			h('p', { class: 'notice' }, t('auditNotice')),
			field('purpose', input),
			h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('proceed')),
				cancel));
		const dialog = h('dialog', { id: 'purpose-dialog', 'aria-labelledby': 'purpose-title' },
			form);
		form.querySelector('h2').id = 'purpose-title';
		let answer = null;
		form.addEventListener('submit', (ev) => {
			ev.preventDefault();
			answer = input.value.trim();
			if (!answer)
				return;
			lastPurpose = answer;
			dialog.close();
		});
		cancel.addEventListener('click', () => dialog.close());
		dialog.addEventListener('close', () => {
			dialog.remove();
			resolve(answer || null);
		});
		document.body.append(dialog);
		dialog.showModal();
		input.focus();
		input.select();
	});
}

// A date from Unix seconds, as the language writes it.
export function when(seconds) {
	return seconds ? new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16) +
		' UTC' : '';
}

// Save text (or a Blob) as a file named name (the browser's download; nothing leaves the
// page).
export function save(text, type, name) {
	const url = URL.createObjectURL(text instanceof Blob ? text : new Blob([text], { type }));
	const a = h('a', { href: url, download: name, hidden: true });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// What was typed into a form survives the page being drawn again (a list that loads
// redraws the page): el (an input or select) keeps its value under key until forget(key).
const drafts = {};
export function kept(key, el) {
	if (drafts[key] !== undefined)
		el.value = drafts[key];
	const note = () => {
		drafts[key] = el.value;
	};
	el.addEventListener('input', note);
	el.addEventListener('change', note);
	return el;
}

export function forget(...keys) {
	for (const k of keys)
		delete drafts[k];
}
