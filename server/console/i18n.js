// SPDX-License-Identifier: Apache-2.0
// i18n.js: every string the console shows, in Chinese and English, and the language
// chosen (kept in sessionStorage: a preference, not a secret). t(key, vars) fills {name}s.
const strings = {
	zh: {
		skip: '跳到正文', brand: '控制台', role: '角色', signOut: '退出登录',
		otherLanguage: 'English',
		signInTitle: '登录', user: '用户名', password: '密码', signIn: '登录',
		signingIn: '正在登录…', signedInAs: '{user}',
		signedOut: '已退出登录。', sessionEnded: '会话已结束，请重新登录。',
		navLookup: '客户查询', navAudit: '审计日志', navApprovals: '审批队列',
		navDsr: '个人权利请求', navUsers: '用户与义务', navIncidents: '安全事件',
		navScan: '个人信息扫描', navReport: '合规报告', navTransfers: '转让向导',
		auditNotice: '每一次查阅都会以您的名义连同目的记入审计日志。',
		lookupTitle: '客户查询', lookupBy: '查询方式', byId: '客户编号', byField: '索引字段',
		fieldName: '字段名', fieldValue: '值', customerId: '客户编号',
		wantClear: '在角色允许时显示明文', search: '查询',
		purposeTitle: '查阅目的', purposeAsk: '请说明本次查阅的目的（例如 service）。',
		purpose: '目的', proceed: '继续', cancel: '取消',
		masked: '已脱敏', clear: '明文', field: '字段', value: '值', shown: '显示方式',
		consents: '同意', granted: '已同意', refused: '未同意', none: '无',
		noMatch: '没有匹配的客户。', idsOnly: '此角色只能查到编号：',
		open: '打开', found: '找到 {n} 位客户。', customer: '客户 {id}',
		auditTitle: '审计日志', verifyTitle: '哈希链校验', verify: '校验',
		verified: '审计链完整：每条记录与签名检查点均已核对。',
		broken: '审计链已损坏：', verifying: '正在校验…',
		error: '错误', errorCode: '错误（{code}）：{message}',
		loading: '加载中…',
	},
	en: {
		skip: 'Skip to content', brand: 'console', role: 'Role', signOut: 'Sign out',
		otherLanguage: '中文',
		signInTitle: 'Sign in', user: 'User name', password: 'Password', signIn: 'Sign in',
		signingIn: 'Signing in…', signedInAs: '{user}',
		signedOut: 'Signed out.', sessionEnded: 'The session ended: sign in again.',
		navLookup: 'Customer lookup', navAudit: 'Audit log', navApprovals: 'Approvals',
		navDsr: 'Data subject requests', navUsers: 'Users and obligations',
		navIncidents: 'Incidents', navScan: 'PII scan', navReport: 'Compliance report',
		navTransfers: 'Transfer wizard',
		auditNotice: 'Every read is recorded in the audit log under your name, with its purpose.',
		lookupTitle: 'Customer lookup', lookupBy: 'Look up by', byId: 'Customer id',
		byField: 'Indexed field', fieldName: 'Field', fieldValue: 'Value',
		customerId: 'Customer id', wantClear: 'Show in clear where the role allows',
		search: 'Look up',
		purposeTitle: 'Purpose of this read',
		purposeAsk: 'State why you read this customer (for example service).',
		purpose: 'Purpose', proceed: 'Continue', cancel: 'Cancel',
		masked: 'masked', clear: 'clear', field: 'Field', value: 'Value', shown: 'Shown',
		consents: 'Consents', granted: 'granted', refused: 'refused', none: 'none',
		noMatch: 'No customer matches.', idsOnly: 'This role finds ids only:',
		open: 'Open', found: '{n} customers found.', customer: 'Customer {id}',
		auditTitle: 'Audit log', verifyTitle: 'Hash chain verification', verify: 'Verify',
		verified: 'The audit chain is intact: every entry and signed checkpoint checked.',
		broken: 'The audit chain is broken:', verifying: 'Verifying…',
		error: 'Error', errorCode: 'Error ({code}): {message}',
		loading: 'Loading…',
	},
};

let lang = sessionStorage.getItem('pv.lang') ||
	((navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');

export function language() {
	return lang;
}

export function setLanguage(l) {
	lang = strings[l] ? l : 'en';
	sessionStorage.setItem('pv.lang', lang);
	document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}

export function t(key, vars) {
	let s = strings[lang][key];
	if (s === undefined)
		throw new Error('no string ' + key);
	for (const [k, v] of Object.entries(vars || {}))
		s = s.split('{' + k + '}').join(String(v));
	return s;
}

// The keys of both languages, for the test that every string has both.
export function keys(l) {
	return Object.keys(strings[l]);
}
