/* SPDX-License-Identifier: Apache-2.0 */
/* pii_corpus.c: the labelled corpus generator of pii_corpus.h. Each document is a short
 * customer-service note: a few pieces of personal information in the forms people write
 * them, each labelled, among look-alikes built to be hard (the right lengths and prefixes,
 * a wrong check character; order, tracking, invoice and member numbers; dates, amounts;
 * context words with no name after them). */
#include "pii_corpus.h"

#include <stdio.h>
#include <string.h>

/* ---- random numbers (splitmix64) ---- */

static uint64_t corpus_rng = 1;

void pvt_pii_corpus_seed(uint64_t seed)
{
	corpus_rng = seed;
}

static uint64_t next64(void)
{
	uint64_t z = (corpus_rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static unsigned rnd(unsigned n)
{
	return (unsigned)(next64() % n);
}

#define PICK(list) (list[rnd(sizeof list / sizeof list[0])])

static void digits_into(char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (char)('0' + rnd(10));
	out[n] = '\0';
}

/* ---- check characters ---- */

char pvt_resident_id_check(const char *d)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (d[i] - '0') * w[i];
	return "10X98765432"[sum % 11];
}

char pvt_luhn_digit(const char *d, size_t n)
{
	int sum = 0;
	for (size_t k = 0; k < n; k++) {
		int v = d[n - 1 - k] - '0';
		if (k % 2 == 0) /* doubled: the check digit comes after */
			v = v * 2 > 9 ? v * 2 - 9 : v * 2;
		sum += v;
	}
	return (char)('0' + (10 - sum % 10) % 10);
}

static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

char pvt_uscc_check(const char *c)
{
	int sum = 0, weight = 1;
	for (int i = 0; i < 17; i++) {
		sum += (int)(strchr(uscc_alphabet, c[i]) - uscc_alphabet) * weight;
		weight = weight * 3 % 31;
	}
	return uscc_alphabet[(31 - sum % 31) % 31];
}

char pvt_org_code_check(const char *c)
{
	static const int w[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };
	int sum = 0;
	for (int i = 0; i < 8; i++)
		sum += (c[i] >= 'A' ? c[i] - 'A' + 10 : c[i] - '0') * w[i];
	int v = 11 - sum % 11;
	return v == 10 ? 'X' : v == 11 ? '0' : (char)('0' + v);
}

/* A character other than c among the digits (and X when x_too). */
static char other_than(char c, int x_too)
{
	static const char set[] = "0123456789X";
	char o;
	do
		o = set[rnd(x_too ? 11 : 10)];
	while (o == c);
	return o;
}

/* ---- the document ---- */

static void put(struct pvt_pii_doc *d, const char *s)
{
	size_t l = strlen(s);
	if (d->len + l >= PVT_DOC_MAX)
		return;
	memcpy(d->text + d->len, s, l + 1);
	d->len += l;
}

static void put_label(struct pvt_pii_doc *d, const char *s, pv_pii_type t)
{
	size_t start = d->len;
	put(d, s);
	if (d->len > start && d->nlabels < PVT_DOC_LABELS)
		d->label[d->nlabels++] = (struct pvt_pii_label){ start, d->len, t };
}

/* s with its ASCII digits written full-width (U+FF10..U+FF19), into out. */
static void full_width(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 4 < cap; s++) {
		if (*s >= '0' && *s <= '9') {
			out[o++] = (char)0xEF;
			out[o++] = (char)0xBC;
			out[o++] = (char)(0x90 + (*s - '0'));
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

/* ---- resident IDs ---- */

static const char *const id_regions[] = {
	"110105", "110108", "310104", "310115", "440305", "440106", "330106", "320102",
	"510107", "420106", "370102", "410105", "350203", "230103", "610113", "650102",
	"130102", "140105", "210102", "220104", "340104", "360102", "430104", "450103",
	"460106", "520102", "530102", "620102", "630104", "640104", "500103", "120101",
};

/* The 17 first characters of a resident ID with a birth date that exists. */
static void id_body(char *id)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned year = 1940 + rnd(70), month = 1 + rnd(12);
	unsigned day = 1 + rnd((unsigned)mdays[month - 1]);
	char date[16];
	snprintf(date, sizeof date, "%04u%02u%02u", year % 10000, month % 100, day % 100);
	memcpy(id, PICK(id_regions), 6);
	memcpy(id + 6, date, 8);
	digits_into(id + 14, 3);
}

static void write_id(char *out, size_t cap, const char *id)
{
	unsigned form = rnd(20);
	if (form == 0)
		snprintf(out, cap, "%.6s %.8s %.4s", id, id + 6, id + 14);
	else if (form == 1)
		full_width(out, cap, id);
	else
		snprintf(out, cap, "%s", id);
}

static void gen_resident_id(struct pvt_pii_doc *d)
{
	static const char *const ctx[] = { "身份证号：", "身份证", "证件号码", "身份证号码为",
					   "本人身份证", "", "", "ID " };
	char id[20], text[80];
	id_body(id);
	id[17] = pvt_resident_id_check(id);
	if (id[17] == 'X' && rnd(4) == 0)
		id[17] = 'x';
	id[18] = '\0';
	write_id(text, sizeof text, id);
	put(d, PICK(ctx));
	put_label(d, text, PV_PII_RESIDENT_ID);
}

/* ---- phones ---- */

static const char *const mobile_prefixes[] = {
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147",
	"150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "170", "173",
	"175", "176", "177", "178", "180", "181", "182", "183", "184", "185", "186", "187",
	"188", "189", "191", "193", "195", "196", "198", "199",
};

static void gen_mobile(char *out, size_t cap)
{
	static const char *const cc[] = { "+86 ", "+86", "+86-", "0086 ", "0086-", "86" };
	char m[12];
	snprintf(m, sizeof m, "%s", PICK(mobile_prefixes));
	digits_into(m + 3, 8);
	unsigned form = rnd(20);
	char plain[40];
	if (form < 8)
		snprintf(plain, sizeof plain, "%s", m);
	else if (form < 12)
		snprintf(plain, sizeof plain, "%.3s %.4s %.4s", m, m + 3, m + 7);
	else if (form < 15)
		snprintf(plain, sizeof plain, "%.3s-%.4s-%.4s", m, m + 3, m + 7);
	else if (form < 18)
		snprintf(plain, sizeof plain, "%s%s", PICK(cc), m);
	else
		snprintf(plain, sizeof plain, "+86 %.3s %.4s %.4s", m, m + 3, m + 7);
	if (rnd(12) == 0)
		full_width(out, cap, plain);
	else
		snprintf(out, cap, "%s", plain);
}

static void gen_landline(char *out, size_t cap, int *bare)
{
	static const char *const area[] = { "010", "021", "022", "023", "020", "024", "025",
					    "027", "028", "029", "0755", "0571", "0512", "0532",
					    "0591", "0731", "0851", "0898", "0411", "0769" };
	const char *a = PICK(area);
	char sub[9];
	size_t sl = strlen(a) == 4 && rnd(5) == 0 ? 7 : 8;
	sub[0] = (char)('2' + rnd(7));
	digits_into(sub + 1, sl - 1);
	*bare = 0;
	switch (rnd(8)) {
	case 0: snprintf(out, cap, "(%s)%s", a, sub); break;
	case 1: snprintf(out, cap, "（%s）%s", a, sub); break;
	case 2: snprintf(out, cap, "%s %.*s %s", a, sl == 8 ? 4 : 3, sub, sub + (sl == 8 ? 4 : 3));
		break;
	case 3: snprintf(out, cap, "+86 %s %.*s %s", a + 1, sl == 8 ? 4 : 3, sub,
			 sub + (sl == 8 ? 4 : 3));
		break;
	case 4: snprintf(out, cap, "+86-%s-%s", a + 1, sub); break;
	case 5: snprintf(out, cap, "%s%s", a, sub); *bare = 1; break;
	default: snprintf(out, cap, "%s-%s", a, sub); break;
	}
}

static void gen_phone(struct pvt_pii_doc *d)
{
	static const char *const ctx[] = { "手机", "电话：", "手机号：", "联系电话", "tel:", "",
					   "", "请拨打", "回电", "座机" };
	static const char *const landline_ctx[] = { "座机", "电话：", "办公电话", "联系电话" };
	char text[80];
	int bare = 0;
	if (rnd(3) == 0)
		gen_landline(text, sizeof text, &bare);
	else
		gen_mobile(text, sizeof text);
	put(d, bare ? PICK(landline_ctx) : PICK(ctx));
	put_label(d, text, PV_PII_PHONE);
}

/* ---- bank cards ---- */

static const char *const card_bins[] = {
	"622202", "622848", "621700", "621483", "622588", "625807", "436742", "622700",
	"623668", "621226", "622609", "403391", "512425", "528948", "552801", "356833",
	"621799", "622262", "601382", "955880",
};

/* A card number of nd digits with a valid Luhn digit; in bad, the same but wrong. */
static void card_digits(char *c, size_t nd)
{
	const char *bin = PICK(card_bins);
	size_t bl = strlen(bin);
	memcpy(c, bin, bl);
	digits_into(c + bl, nd - 1 - bl);
	c[nd - 1] = pvt_luhn_digit(c, nd - 1);
	c[nd] = '\0';
}

static void write_card(char *out, size_t cap, const char *c)
{
	size_t nd = strlen(c), o = 0;
	unsigned form = rnd(10);
	if (form < 6 || (nd != 16 && nd != 19)) {
		snprintf(out, cap, "%s", c);
		return;
	}
	char sep = form < 9 ? ' ' : '-';
	for (size_t i = 0; i < nd && o + 2 < cap; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = sep;
		out[o++] = c[i];
	}
	out[o] = '\0';
}

static void gen_card(struct pvt_pii_doc *d)
{
	static const char *const ctx[] = { "卡号", "银行卡号：", "信用卡", "退款到银行卡", "",
					   "账号", "借记卡" };
	char c[24], text[40];
	unsigned l = rnd(20);
	size_t nd = l < 10 ? 16 : l < 19 ? 19 : 17 + rnd(2);
	card_digits(c, nd);
	write_card(text, sizeof text, c);
	/* 17- and 18-digit cards are rare: written after a word saying so */
	put(d, nd == 17 || nd == 18 ? "卡号" : PICK(ctx));
	put_label(d, text, PV_PII_BANK_CARD);
}

/* ---- USCC codes ---- */

static void uscc_body(char *c)
{
	static const char *const heads[] = { "91", "91", "91", "92", "93", "12", "11", "52",
					     "51", "Y1" };
	snprintf(c, 3, "%s", PICK(heads));
	memcpy(c + 2, PICK(id_regions), 6);
	if (rnd(5) < 2) {
		c[8] = 'M';
		c[9] = 'A';
		for (int i = 10; i < 16; i++)
			c[i] = uscc_alphabet[rnd(31)];
	} else {
		digits_into(c + 8, 8);
	}
	c[16] = pvt_org_code_check(c + 8);
	c[17] = pvt_uscc_check(c);
	c[18] = '\0';
}

static void gen_uscc(struct pvt_pii_doc *d)
{
	static const char *const ctx[] = { "统一社会信用代码：", "信用代码", "税号", "", "公司代码" };
	char c[20];
	uscc_body(c);
	put(d, PICK(ctx));
	put_label(d, c, PV_PII_USCC);
}

/* ---- e-mail addresses ---- */

static void gen_email(struct pvt_pii_doc *d)
{
	static const char *const locals[] = { "zhangwei", "li.na", "wang_fang88", "chen.jie",
					      "liuyang2020", "service", "x.y.z", "huang-lei" };
	static const char *const domains[] = { "qq.com", "163.com", "126.com", "gmail.com",
					       "sina.com", "outlook.com", "foxmail.com",
					       "company.com.cn", "mail.tsinghua.edu.cn" };
	static const char *const ctx[] = { "邮箱：", "email: ", "发到", "", "邮件发至" };
	char text[80], local[24];
	if (rnd(4) == 0)
		digits_into(local, 6 + rnd(5));
	else
		snprintf(local, sizeof local, "%s%u", PICK(locals), rnd(3) ? rnd(1000) : 0);
	snprintf(text, sizeof text, "%s@%s", local, PICK(domains));
	put(d, PICK(ctx));
	put_label(d, text, PV_PII_EMAIL);
}

/* ---- passports ---- */

static void gen_passport(struct pvt_pii_doc *d)
{
	static const char *const ctx[] = { "护照号：", "护照", "passport ", "", "护照号码" };
	char p[12];
	unsigned form = rnd(20);
	if (form < 12) {
		p[0] = 'E';
		digits_into(p + 1, 8);
	} else if (form < 17) {
		static const char letters[] = "ABCDEFGHJKLMNPQRSTUVWXYZ";
		p[0] = 'E';
		p[1] = letters[rnd(sizeof letters - 1)];
		digits_into(p + 2, 7);
	} else {
		p[0] = 'G';
		digits_into(p + 1, 8);
	}
	put(d, PICK(ctx));
	put_label(d, p, PV_PII_PASSPORT);
}

/* ---- addresses ---- */

struct place {
	const char *province, *city, *district;
};

static const struct place places[] = {
	{ "北京市", "", "朝阳区" },   { "北京市", "", "海淀区" },
	{ "上海市", "", "浦东新区" }, { "上海市", "", "徐汇区" },
	{ "天津市", "", "和平区" },   { "重庆市", "", "渝中区" },
	{ "广东省", "深圳市", "南山区" }, { "广东省", "广州市", "天河区" },
	{ "广东省", "东莞市", "南城区" }, { "浙江省", "杭州市", "西湖区" },
	{ "浙江省", "宁波市", "鄞州区" }, { "江苏省", "南京市", "鼓楼区" },
	{ "江苏省", "苏州市", "工业园区" }, { "四川省", "成都市", "武侯区" },
	{ "湖北省", "武汉市", "江汉区" }, { "山东省", "青岛市", "市南区" },
	{ "河南省", "郑州市", "金水区" }, { "福建省", "厦门市", "思明区" },
	{ "湖南省", "长沙市", "岳麓区" }, { "陕西省", "西安市", "雁塔区" },
	{ "云南省", "昆明市", "五华区" }, { "河北省", "保定市", "竞秀区" },
	{ "安徽省", "合肥市", "蜀山区" }, { "江西省", "赣州市", "章贡区" },
	{ "广西壮族自治区", "南宁市", "青秀区" }, { "贵州省", "遵义市", "汇川区" },
};

/* The street part: road and number, perhaps a community, building, unit and room. */
static void street_part(char *out, size_t cap)
{
	static const char *const roads[] = { "建国", "人民", "中山", "解放", "和平", "长江",
					     "黄河", "科技", "文化", "新华", "光明", "东风",
					     "胜利", "学院", "滨河", "迎宾", "金融", "创业" };
	static const char *const road_kinds[] = { "路", "大道", "街", "南路", "北路", "东路" };
	static const char *const estates[] = { "阳光", "金色", "碧水", "翠苑", "华府", "名都",
					       "锦绣", "万科" };
	static const char *const estate_kinds[] = { "小区", "花园", "家园", "公寓" };
	int n = snprintf(out, cap, "%s%s%u号", PICK(roads), PICK(road_kinds), 1 + rnd(999));
	switch (rnd(4)) {
	case 0:
		snprintf(out + n, cap - (size_t)n, "%s%s%u栋%u单元%u室", PICK(estates),
			 PICK(estate_kinds), 1 + rnd(30), 1 + rnd(6), 101 + rnd(3000));
		break;
	case 1:
		snprintf(out + n, cap - (size_t)n, "%u号楼%u室", 1 + rnd(20), 101 + rnd(2500));
		break;
	case 2:
		snprintf(out + n, cap - (size_t)n, "%u室", 101 + rnd(2500));
		break;
	default:
		break;
	}
}

static void gen_address(struct pvt_pii_doc *d)
{
	static const char *const triggers[] = { "地址：", "住在", "寄到", "收货地址：", "家住",
						"送到", "现住址：" };
	static const char *const after[] = { "，", "。", "附近", "门口", " ", "，电话",
					     "（", "的快递", "" };
	const struct place *p = &PICK(places);
	char street[160], text[320];
	street_part(street, sizeof street);
	unsigned form = rnd(20);
	if (form < 9)
		snprintf(text, sizeof text, "%s%s%s%s", p->province, p->city, p->district, street);
	else if (form < 14 && p->city[0])
		snprintf(text, sizeof text, "%s%s%s", p->city, p->district, street);
	else if (form < 18)
		snprintf(text, sizeof text, "%s%s", p->district, street);
	else
		snprintf(text, sizeof text, "%s", street);
	/* with a province or city first, the trigger may be missing */
	int anchored = form < 14 && (form < 9 || p->city[0]);
	if (!anchored || rnd(3) != 0)
		put(d, PICK(triggers));
	put_label(d, text, PV_PII_ADDRESS);
	put(d, PICK(after));
}

/* ---- names in context ---- */

static const char *const name_surnames[] = {
	"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
	"胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
	"邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜",
	"叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭",
	"陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "方", "白", "邹", "孟", "熊",
	"秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺",
	"欧阳", "司马", "诸葛", "上官",
};

static const char *const given_chars[] = {
	"伟", "芳", "娜", "秀", "英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳",
	"杰", "娟", "涛", "超", "兰", "霞", "平", "刚", "桂", "华", "玉", "萍", "红", "玲",
	"芬", "燕", "彬", "鹏", "辉", "斌", "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁",
	"欣", "晨", "晓", "婷", "雪", "琳", "晶", "倩", "颖", "佳", "怡", "梅", "琴", "云",
	"莉", "波", "亮", "飞", "鑫", "峰", "建", "志", "国", "文", "明", "永", "海", "春",
	"丹", "慧", "博", "思", "嘉", "子", "涵", "轩", "梓", "睿", "泽", "雨", "萱", "诗",
	"悦", "瑶", "琪", "哲", "昊", "然", "一", "天", "心", "可", "成", "荣", "东", "新",
};

static void gen_person(char *out, size_t cap)
{
	const char *s = PICK(name_surnames);
	if (rnd(5) < 3)
		snprintf(out, cap, "%s%s%s", s, PICK(given_chars), PICK(given_chars));
	else
		snprintf(out, cap, "%s%s", s, PICK(given_chars));
}

static void gen_name(struct pvt_pii_doc *d)
{
	static const char *const before[] = { "联系人：", "联系人", "收件人：", "收货人", "邻居",
					      "同事", "我母亲", "我父亲", "我妈", "朋友", "客户",
					      "紧急联系人", "持卡人", "快递可交给邻居" };
	static const char *const after[] = { "，", "电话", "说", "（", "已经", "代收", "明天来取",
					     "反映", "的包裹", "今天", "签收了", "打电话来", "。",
					     " ", "要求", "也", "在", "和我" };
	static const char *const lead[] = { "请转告", "致", "感谢", "，", "谢谢", "麻烦",
					    "通知", "回复" };
	static const char *const titles[] = { "先生", "女士", "小姐" };
	char name[32];
	gen_person(name, sizeof name);
	if (rnd(3) == 0) {
		put(d, PICK(lead));
		put_label(d, name, PV_PII_NAME);
		put(d, PICK(titles));
		return;
	}
	put(d, PICK(before));
	put_label(d, name, PV_PII_NAME);
	put(d, PICK(after));
}

/* ---- look-alikes: must not match ---- */

static void look(struct pvt_pii_doc *d, const char *ctx, const char *s)
{
	put(d, ctx);
	put(d, s);
	d->lookalikes++;
}

/* 18-digit order numbers: date-based, random, or shaped like an ID (region and birth date
 * right) with a wrong check character or a day that does not exist. */
static void bad_order18(struct pvt_pii_doc *d)
{
	static const char *const ctx[] = { "订单号：", "单号", "编号", "", "身份证号", "订单" };
	char s[24];
	switch (rnd(4)) {
	case 0:
		snprintf(s, sizeof s, "202%u%02u%02u", rnd(5), 1 + rnd(12), 1 + rnd(28));
		digits_into(s + 8, 10);
		break;
	case 1:
		digits_into(s, 18);
		s[0] = (char)('1' + rnd(3)); /* no card starts 1-3 but JCB's 35 */
		break;
	case 2:
		id_body(s);
		s[17] = other_than(pvt_resident_id_check(s), 1);
		s[18] = '\0';
		break;
	default:
		id_body(s);
		memcpy(s + 10, rnd(2) ? "02" : "13", 2); /* February 30th or a 13th month */
		memcpy(s + 12, "30", 2);
		s[17] = pvt_resident_id_check(s);
		s[18] = '\0';
		break;
	}
	look(d, PICK(ctx), s);
}

static void bad_tracking(struct pvt_pii_doc *d)
{
	static const char *const ctx[] = { "运单号", "快递单号：", "顺丰", "物流单号", "",
					   "单号" };
	static const char *const heads[] = { "SF", "YT", "JD", "JDVA", "JT", "ZTO", "" };
	char s[32];
	const char *h = PICK(heads);
	size_t hl = strlen(h);
	memcpy(s, h, hl);
	if (hl == 0) { /* all-digit carriers: 韵达 43/46, 申通 77, EMS 1x, 中通 7x (12) */
		static const char *const pre[] = { "43", "46", "77", "11", "75" };
		const char *p = PICK(pre);
		memcpy(s, p, 2);
		digits_into(s + 2, p[0] == '7' && p[1] == '5' ? 10 : 11);
	} else {
		digits_into(s + hl, hl == 4 ? 11 : 12 + rnd(2));
	}
	look(d, PICK(ctx), s);
}

/* 16- and 19-digit member and shop order numbers with a card's prefix, failing Luhn. */
static void bad_member(struct pvt_pii_doc *d)
{
	static const char *const ctx[] = { "会员号", "会员卡号", "订单号", "交易号", "",
					   "流水号", "卡号" };
	char c[24], text[40];
	size_t nd = rnd(2) ? 16 : 19;
	card_digits(c, nd);
	c[nd - 1] = other_than(c[nd - 1], 0);
	write_card(text, sizeof text, c);
	look(d, PICK(ctx), text);
}

static void bad_invoice(struct pvt_pii_doc *d)
{
	char s[24];
	switch (rnd(3)) {
	case 0: /* 发票代码: 12 digits */
		s[0] = (char)('0' + rnd(2));
		memcpy(s + 1, PICK(id_regions), 4);
		digits_into(s + 5, 7);
		look(d, "发票代码", s);
		break;
	case 1:
		digits_into(s, 8);
		look(d, "发票号码：", s);
		break;
	default: /* 全电发票: 20 digits */
		snprintf(s, 3, "2%u", rnd(5));
		digits_into(s + 2, 18);
		look(d, "发票号码", s);
		break;
	}
}

static void bad_date_amount(struct pvt_pii_doc *d)
{
	char s[48];
	unsigned y = 2019 + rnd(7), m = 1 + rnd(12), dd = 1 + rnd(28);
	switch (rnd(7)) {
	case 0: snprintf(s, sizeof s, "%u-%02u-%02u", y, m, dd); break;
	case 1: snprintf(s, sizeof s, "%u年%u月%u日", y, m, dd); break;
	case 2: snprintf(s, sizeof s, "%u%02u%02u", y, m, dd); break;
	case 3: snprintf(s, sizeof s, "%u/%02u/%02u %02u:%02u", y, m, dd, rnd(24), rnd(60)); break;
	case 4: snprintf(s, sizeof s, "¥%u,%03u.%02u", 1 + rnd(999), rnd(1000), rnd(100)); break;
	case 5: snprintf(s, sizeof s, "%u.%02u元", rnd(10000000), rnd(100)); break;
	default: snprintf(s, sizeof s, "共计%u,%03u元", 1 + rnd(99), rnd(1000)); break;
	}
	look(d, rnd(2) ? "日期" : "金额", s);
}

static void bad_uscc(struct pvt_pii_doc *d)
{
	char c[20];
	uscc_body(c);
	char wrong;
	do
		wrong = uscc_alphabet[rnd(31)];
	while (wrong == c[17]);
	c[17] = wrong;
	look(d, rnd(2) ? "信用代码" : "", c);
}

/* Numbers of a mobile's or a passport's look, of the wrong length or shape. */
static void bad_short(struct pvt_pii_doc *d)
{
	char s[24];
	switch (rnd(5)) {
	case 0: /* a QQ number of 10 digits */
		snprintf(s, sizeof s, "%s", PICK(mobile_prefixes));
		digits_into(s + 3, 7);
		look(d, "QQ号", s);
		break;
	case 1: /* 12 digits starting like a mobile */
		snprintf(s, sizeof s, "%s", PICK(mobile_prefixes));
		digits_into(s + 3, 9);
		look(d, "工单号", s);
		break;
	case 2:
		snprintf(s, sizeof s, "G%u", 1 + rnd(9000));
		look(d, "车次", s);
		break;
	case 3:
		s[0] = 'E';
		digits_into(s + 1, 10);
		look(d, "编号", s);
		break;
	default: /* a landline's look with a subscriber number starting 0 or 1 */
		snprintf(s, sizeof s, "010-%u", 10000000 + rnd(9999999));
		look(d, "分机", s);
		break;
	}
}

/* Words that mark names or addresses, with none after them. */
static void bad_words(struct pvt_pii_doc *d)
{
	static const char *const words[] = {
		"联系人电话已更新", "同事们都说不错", "邻居家的狗", "客户服务中心", "客户经理",
		"我母亲的生日", "王先生来过", "张女士", "上海的天气很好", "北京时间",
		"广东省人民医院", "浙江大学", "四川菜很辣", "收件人信息有误", "朋友圈",
		"地址不详", "住在附近", "user@localhost", "发到@客服", "成都人民公园",
	};
	look(d, "", PICK(words));
}

static void gen_lookalike(struct pvt_pii_doc *d)
{
	switch (rnd(8)) {
	case 0: bad_order18(d); break;
	case 1: bad_tracking(d); break;
	case 2: bad_member(d); break;
	case 3: bad_invoice(d); break;
	case 4: bad_date_amount(d); break;
	case 5: bad_uscc(d); break;
	case 6: bad_short(d); break;
	default: bad_words(d); break;
	}
}

/* ---- documents ---- */

static void gen_item(struct pvt_pii_doc *d)
{
	switch (rnd(8)) {
	case 0: gen_resident_id(d); break;
	case 1: gen_phone(d); break;
	case 2: gen_card(d); break;
	case 3: gen_uscc(d); break;
	case 4: gen_email(d); break;
	case 5: gen_passport(d); break;
	case 6: gen_address(d); break;
	default: gen_name(d); break;
	}
}

void pvt_pii_doc_make(struct pvt_pii_doc *d)
{
	static const char *const fillers[] = {
		"客户来电反映", "已处理", "请回电", "备注：", "明天下午三点前", "麻烦尽快安排",
		"核实后", "到付", "谢谢", "已登记", "情况属实", "售后", "请注意", "无误",
		"退货原因：尺码不合适", "顾客要求开票", "",
	};
	static const char *const seps[] = { "，", "。", "；", " ", "\n", "、" };
	d->len = 0;
	d->text[0] = '\0';
	d->nlabels = 0;
	d->lookalikes = 0;
	size_t items = 2 + rnd(3), looks = 1 + rnd(3);
	while (items + looks > 0) {
		put(d, PICK(fillers));
		if (items > 0 && (looks == 0 || rnd(items + looks) < items)) {
			gen_item(d);
			items--;
		} else {
			gen_lookalike(d);
			looks--;
		}
		put(d, PICK(seps));
	}
}
