/* SPDX-License-Identifier: Apache-2.0 */
/* pii_detect.c: pv_pii_scan, the detector of personal information in free text. One pass
 * over the bytes: runs of digits (ASCII or full-width, in groups joined by spaces, hyphens or
 * an area code's parentheses, after +86 or 0086) are read as the numbers that cover them best
 * and checked (resident ID check character and birth date, Luhn and issuer prefix, mobile
 * prefixes, area codes); words of ASCII letters and digits as e-mail addresses, USCC codes or
 * passport numbers; Chinese words from a small lexicon mark context (身份证, 手机, 卡号 raise a
 * number's confidence; 订单, 运单, 发票 lower it), names (联系人 张伟, 王芳女士, with a surname
 * list) and addresses (a province, a city or 地址/住在, then markers such as 区 路 号 室).
 * Pure libc, and pthread_once for the character tables built on first use. */
#include "pii_detect.h"
#include "validate.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ */
/* Check characters                                                                     */
/* ------------------------------------------------------------------------------------ */

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_upper(unsigned char c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_alpha(unsigned char c)
{
	return is_upper(c) || (c >= 'a' && c <= 'z');
}

static int is_alnum(unsigned char c)
{
	return is_digit(c) || is_alpha(c);
}

static int all_digits(const char *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)d[i]))
			return 0;
	return 1;
}

static int two_digits(const char *d)
{
	return (d[0] - '0') * 10 + (d[1] - '0');
}

/* 1 if the two digits d[0..2) are a province-level region code of resident ID numbers. */
static int id_region_ok(const char *d)
{
	int r = two_digits(d);
	return (r >= 11 && r <= 15) || (r >= 21 && r <= 23) || (r >= 31 && r <= 37) ||
	       (r >= 41 && r <= 46) || (r >= 50 && r <= 54) || (r >= 61 && r <= 65) || r == 71 ||
	       r == 81 || r == 82 || r == 83;
}

/* 1 if year, month and day name a day that exists, the year from 1900 to 2029. */
static int date_ok(int year, int month, int day)
{
	return year >= 1900 && year <= 2029 && pv_date_valid(year, month, day);
}

/* 1 if d[0..14) starts like a resident ID: a region and a birth date (an 18-digit number
 * of that shape failing the check is a mistyped ID or a look-alike, not a card). */
static int id_shaped(const char *d)
{
	return all_digits(d, 14) && id_region_ok(d) &&
	       date_ok(two_digits(d + 6) * 100 + two_digits(d + 8), two_digits(d + 10),
		       two_digits(d + 12));
}

int pv_pii_resident_id_ok(const char *d)
{
	if (!all_digits(d, 17) || !id_shaped(d))
		return 0;
	return pv_resident_id_check_char(d) == (d[17] == 'x' ? 'X' : d[17]);
}

/* 1 if d[0..15) is an old-form (1985-1999) resident ID number: region and a 19YYMMDD date. */
static int old_resident_id_ok(const char *d)
{
	return all_digits(d, 15) && id_region_ok(d) &&
	       date_ok(1900 + two_digits(d + 6), two_digits(d + 8), two_digits(d + 10));
}

int pv_pii_luhn_ok(const char *d, size_t nd)
{
	return nd > 1 && pv_luhn_check_digit(d, nd - 1) == d[nd - 1];
}

/* 1 if the card number d starts like one a card network issues: Visa 4, Mastercard 51-55
 * and 2221-2720, UnionPay 62 and 60/65 (with Discover), JCB 35, ICBC's 9558. */
static int card_prefix_ok(const char *d)
{
	int two = two_digits(d), four = two * 100 + two_digits(d + 2);
	return d[0] == '4' || (two >= 51 && two <= 55) || (four >= 2221 && four <= 2720) ||
	       two == 62 || two == 60 || two == 65 || two == 35 || four == 9558;
}

int pv_pii_mobile_ok(const char *d)
{
	return all_digits(d, 11) && d[0] == '1' && d[1] >= '3' && d[1] <= '9';
}

/* 1 if c[0..9) is an organisation code with its GB 11714 check character (digits and
 * letters A=10 ... Z=35, weighted; the check 0-9 or X). USCC codes carry one at 9-17. */
static int org_code_ok(const unsigned char *c)
{
	static const int weight[8] = { 3, 7, 9, 10, 5, 8, 4, 2 };
	int sum = 0;
	for (int i = 0; i < 8; i++) {
		if (!is_digit(c[i]) && !is_upper(c[i]))
			return 0;
		sum += (is_digit(c[i]) ? c[i] - '0' : c[i] - 'A' + 10) * weight[i];
	}
	int v = 11 - sum % 11;
	char want = v == 10 ? 'X' : v == 11 ? '0' : (char)('0' + v);
	return c[8] == (unsigned char)want;
}

int pv_pii_uscc_ok(const char *c)
{
	const unsigned char *u = (const unsigned char *)c;
	/* registration authority: 1-9, A (military), N (agriculture), Y (other) */
	if (!((u[0] >= '1' && u[0] <= '9') || u[0] == 'A' || u[0] == 'N' || u[0] == 'Y'))
		return 0;
	if (!all_digits(c + 2, 6))
		return 0; /* the administrative division */
	char want = pv_uscc_check_char(c);
	return want != 0 && want == c[17];
}

int pv_pii_uscc_org_ok(const char *c)
{
	return org_code_ok((const unsigned char *)c + 8);
}

/* ------------------------------------------------------------------------------------ */
/* Character tables                                                                     */
/* ------------------------------------------------------------------------------------ */

#define CJK_FIRST 0x4E00
#define CJK_LAST 0x9FFF

enum char_flag {
	F_LEX = 1,     /* first character of a lexicon word */
	F_SURNAME = 2, /* a common single-character surname */
	F_STOP = 4,    /* a character that ends a name (function words, verbs, nouns after one) */
	F_ADMIN = 8,   /* address marker of a region: 省 市 区 县 州 盟 旗 */
	F_STREET = 16, /* address marker of a street or village: 路 街 道 巷 弄 村 镇 乡 里 */
	F_UNIT = 32,   /* address marker of a building or door: 号 栋 幢 楼 室 座 层 组 苑 园 元 厦 */
	F_CITY = 64,   /* 市: a city's name of two characters may end here */
	F_TOP = 128    /* one of the twenty commonest surnames */
};

static uint8_t cjk_flags[CJK_LAST - CJK_FIRST + 1];
static uint8_t lex_slot[CJK_LAST - CJK_FIRST + 1]; /* 1 + index into lex_first, 0: none */

static const char surnames[] =
	"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
	"苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
	"龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
	"左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
	"屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
	"闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝";

/* Characters that end a name: particles, pronouns, verbs and nouns that follow a name in a
 * sentence (张伟电话, 王芳说, 李明已经, 邱波代收). Rare in given names. */
static const char name_stops[] =
	"的了在是和与及或说讲电手话打给让请已要会来去到把被对向从也都就还又再很太不没先女们家等处代"
	"收取签交帮替告称表反投申提确认负住今昨上下午早晚曾因于所这那哪个位名号年月日时分点此其之"
	"地得着过吗呢吧啊呀并而但却跟同将由为叫找问看见用需想能应该说办已经才正在目前现联系转及"
	"工作单元楼室区路街市省县镇村先生士姐总师傅经理医律护老您你我他她它们本该次件份些每各";

static const char admin_markers[] = "省市区县州盟旗";
static const char street_markers[] = "路街道巷弄村镇乡里屯";
static const char unit_markers[] = "号栋幢楼室座层组苑园元厦";

enum ctx_kind { C_NONE, C_ID, C_PHONE, C_CARD, C_USCC, C_PASSPORT, C_EMAIL, C_CONTACT, C_NEG };
enum lex_role {
	R_CTX,        /* context only */
	R_NAME_AFTER, /* a name may follow: 联系人 张伟 */
	R_TITLE,      /* a name comes before: 王芳 女士 */
	R_ADDR_AFTER, /* an address follows: 地址 / 住在 */
	R_ADDR_HERE   /* an address starts with the word: a province or a city */
};

struct lex_word {
	const char *w;
	uint8_t ctx, role;
};

static const struct lex_word lexicon[] = {
	{ "身份证", C_ID, R_CTX }, { "证件", C_ID, R_CTX }, { "身份号码", C_ID, R_CTX },
	{ "手机", C_PHONE, R_CTX }, { "电话", C_PHONE, R_CTX }, { "座机", C_PHONE, R_CTX },
	{ "来电", C_PHONE, R_CTX }, { "致电", C_PHONE, R_CTX },
	{ "卡号", C_CARD, R_CTX }, { "银行卡", C_CARD, R_CTX }, { "信用卡", C_CARD, R_CTX },
	{ "借记卡", C_CARD, R_CTX }, { "储蓄卡", C_CARD, R_CTX }, { "账号", C_CARD, R_CTX },
	{ "帐号", C_CARD, R_CTX }, { "信用代码", C_USCC, R_CTX }, { "税号", C_USCC, R_CTX },
	{ "纳税人识别号", C_USCC, R_CTX }, { "营业执照", C_USCC, R_CTX },
	{ "护照", C_PASSPORT, R_CTX }, { "通行证", C_PASSPORT, R_CTX },
	{ "邮箱", C_EMAIL, R_CTX }, { "邮件", C_EMAIL, R_CTX }, { "联系", C_CONTACT, R_CTX },
	{ "订单", C_NEG, R_CTX }, { "订单号", C_NEG, R_CTX }, { "单号", C_NEG, R_CTX },
	{ "运单", C_NEG, R_CTX }, { "运单号", C_NEG, R_CTX }, { "快递单", C_NEG, R_CTX },
	{ "快递单号", C_NEG, R_CTX }, { "物流单号", C_NEG, R_CTX }, { "发票", C_NEG, R_CTX },
	{ "发票号", C_NEG, R_CTX }, { "发票号码", C_NEG, R_CTX }, { "发票代码", C_NEG, R_CTX },
	{ "会员", C_NEG, R_CTX }, { "会员号", C_NEG, R_CTX }, { "会员卡号", C_NEG, R_CTX },
	{ "流水号", C_NEG, R_CTX }, { "交易号", C_NEG, R_CTX }, { "编号", C_NEG, R_CTX },
	{ "工单号", C_NEG, R_CTX }, { "批次号", C_NEG, R_CTX }, { "货号", C_NEG, R_CTX },
	{ "序列号", C_NEG, R_CTX }, { "条码", C_NEG, R_CTX }, { "车次", C_NEG, R_CTX },
	{ "航班", C_NEG, R_CTX },
	{ "联系人", C_CONTACT, R_NAME_AFTER }, { "紧急联系人", C_CONTACT, R_NAME_AFTER },
	{ "收件人", C_CONTACT, R_NAME_AFTER }, { "收货人", C_CONTACT, R_NAME_AFTER },
	{ "寄件人", C_CONTACT, R_NAME_AFTER }, { "代收人", C_CONTACT, R_NAME_AFTER },
	{ "邻居", C_CONTACT, R_NAME_AFTER }, { "同事", C_CONTACT, R_NAME_AFTER },
	{ "朋友", C_CONTACT, R_NAME_AFTER }, { "同学", C_CONTACT, R_NAME_AFTER },
	{ "室友", C_CONTACT, R_NAME_AFTER }, { "我母亲", C_CONTACT, R_NAME_AFTER },
	{ "我父亲", C_CONTACT, R_NAME_AFTER }, { "母亲", C_CONTACT, R_NAME_AFTER },
	{ "父亲", C_CONTACT, R_NAME_AFTER }, { "我妈", C_CONTACT, R_NAME_AFTER },
	{ "我爸", C_CONTACT, R_NAME_AFTER }, { "妻子", C_CONTACT, R_NAME_AFTER },
	{ "丈夫", C_CONTACT, R_NAME_AFTER }, { "爱人", C_CONTACT, R_NAME_AFTER },
	{ "老公", C_CONTACT, R_NAME_AFTER }, { "老婆", C_CONTACT, R_NAME_AFTER },
	{ "儿子", C_CONTACT, R_NAME_AFTER }, { "女儿", C_CONTACT, R_NAME_AFTER },
	{ "姓名", C_CONTACT, R_NAME_AFTER }, { "客户", C_CONTACT, R_NAME_AFTER },
	{ "持卡人", C_CARD, R_NAME_AFTER }, { "户主", C_CONTACT, R_NAME_AFTER },
	{ "经办人", C_CONTACT, R_NAME_AFTER }, { "委托人", C_CONTACT, R_NAME_AFTER },
	{ "担保人", C_CONTACT, R_NAME_AFTER }, { "法定代表人", C_CONTACT, R_NAME_AFTER },
	{ "负责人", C_CONTACT, R_NAME_AFTER }, { "患者", C_CONTACT, R_NAME_AFTER },
	{ "业主", C_CONTACT, R_NAME_AFTER }, { "租客", C_CONTACT, R_NAME_AFTER },
	{ "房东", C_CONTACT, R_NAME_AFTER }, { "家长", C_CONTACT, R_NAME_AFTER },
	{ "哥哥", C_CONTACT, R_NAME_AFTER }, { "姐姐", C_CONTACT, R_NAME_AFTER },
	{ "弟弟", C_CONTACT, R_NAME_AFTER }, { "妹妹", C_CONTACT, R_NAME_AFTER },
	{ "谢谢", C_NONE, R_CTX }, { "感谢", C_NONE, R_CTX }, { "通知", C_NONE, R_CTX },
	{ "麻烦", C_NONE, R_CTX }, { "回复", C_NONE, R_CTX }, { "转告", C_NONE, R_CTX },
	{ "请转告", C_NONE, R_CTX }, { "告诉", C_NONE, R_CTX }, { "提醒", C_NONE, R_CTX },
	{ "转交", C_NONE, R_CTX }, { "交给", C_NONE, R_CTX }, { "致", C_NONE, R_CTX },
	{ "明天", C_NONE, R_CTX }, { "后天", C_NONE, R_CTX }, { "现在", C_NONE, R_CTX },
	{ "马上", C_NONE, R_CTX }, { "刚才", C_NONE, R_CTX }, { "刚刚", C_NONE, R_CTX },
	{ "一直", C_NONE, R_CTX }, { "一起", C_NONE, R_CTX }, { "可以", C_NONE, R_CTX },
	{ "可能", C_NONE, R_CTX },
	{ "先生", C_CONTACT, R_TITLE }, { "女士", C_CONTACT, R_TITLE },
	{ "小姐", C_CONTACT, R_TITLE }, { "太太", C_CONTACT, R_TITLE },
	{ "老师", C_CONTACT, R_TITLE }, { "师傅", C_CONTACT, R_TITLE },
	{ "经理", C_CONTACT, R_TITLE }, { "阿姨", C_CONTACT, R_TITLE },
	{ "地址", C_NONE, R_ADDR_AFTER }, { "住址", C_NONE, R_ADDR_AFTER },
	{ "住在", C_NONE, R_ADDR_AFTER }, { "家住", C_NONE, R_ADDR_AFTER },
	{ "居住在", C_NONE, R_ADDR_AFTER }, { "寄到", C_NONE, R_ADDR_AFTER },
	{ "寄往", C_NONE, R_ADDR_AFTER }, { "寄至", C_NONE, R_ADDR_AFTER },
	{ "送到", C_NONE, R_ADDR_AFTER }, { "送至", C_NONE, R_ADDR_AFTER },
	{ "位于", C_NONE, R_ADDR_AFTER }, { "搬到", C_NONE, R_ADDR_AFTER },
	{ "户籍地", C_NONE, R_ADDR_AFTER }, { "派送到", C_NONE, R_ADDR_AFTER },
	{ "北京", C_NONE, R_ADDR_HERE }, { "上海", C_NONE, R_ADDR_HERE },
	{ "天津", C_NONE, R_ADDR_HERE }, { "重庆", C_NONE, R_ADDR_HERE },
	{ "河北", C_NONE, R_ADDR_HERE }, { "山西", C_NONE, R_ADDR_HERE },
	{ "辽宁", C_NONE, R_ADDR_HERE }, { "吉林", C_NONE, R_ADDR_HERE },
	{ "黑龙江", C_NONE, R_ADDR_HERE }, { "江苏", C_NONE, R_ADDR_HERE },
	{ "浙江", C_NONE, R_ADDR_HERE }, { "安徽", C_NONE, R_ADDR_HERE },
	{ "福建", C_NONE, R_ADDR_HERE }, { "江西", C_NONE, R_ADDR_HERE },
	{ "山东", C_NONE, R_ADDR_HERE }, { "河南", C_NONE, R_ADDR_HERE },
	{ "湖北", C_NONE, R_ADDR_HERE }, { "湖南", C_NONE, R_ADDR_HERE },
	{ "广东", C_NONE, R_ADDR_HERE }, { "海南", C_NONE, R_ADDR_HERE },
	{ "四川", C_NONE, R_ADDR_HERE }, { "贵州", C_NONE, R_ADDR_HERE },
	{ "云南", C_NONE, R_ADDR_HERE }, { "陕西", C_NONE, R_ADDR_HERE },
	{ "甘肃", C_NONE, R_ADDR_HERE }, { "青海", C_NONE, R_ADDR_HERE },
	{ "内蒙古", C_NONE, R_ADDR_HERE }, { "广西", C_NONE, R_ADDR_HERE },
	{ "西藏", C_NONE, R_ADDR_HERE }, { "宁夏", C_NONE, R_ADDR_HERE },
	{ "新疆", C_NONE, R_ADDR_HERE }, { "深圳", C_NONE, R_ADDR_HERE },
	{ "广州", C_NONE, R_ADDR_HERE }, { "杭州", C_NONE, R_ADDR_HERE },
	{ "南京", C_NONE, R_ADDR_HERE }, { "苏州", C_NONE, R_ADDR_HERE },
	{ "成都", C_NONE, R_ADDR_HERE }, { "武汉", C_NONE, R_ADDR_HERE },
	{ "西安", C_NONE, R_ADDR_HERE }, { "郑州", C_NONE, R_ADDR_HERE },
	{ "长沙", C_NONE, R_ADDR_HERE }, { "青岛", C_NONE, R_ADDR_HERE },
	{ "厦门", C_NONE, R_ADDR_HERE }, { "宁波", C_NONE, R_ADDR_HERE },
	{ "合肥", C_NONE, R_ADDR_HERE }, { "福州", C_NONE, R_ADDR_HERE },
	{ "济南", C_NONE, R_ADDR_HERE }, { "沈阳", C_NONE, R_ADDR_HERE },
	{ "大连", C_NONE, R_ADDR_HERE }, { "哈尔滨", C_NONE, R_ADDR_HERE },
	{ "长春", C_NONE, R_ADDR_HERE }, { "昆明", C_NONE, R_ADDR_HERE },
	{ "贵阳", C_NONE, R_ADDR_HERE }, { "南宁", C_NONE, R_ADDR_HERE },
	{ "南昌", C_NONE, R_ADDR_HERE }, { "太原", C_NONE, R_ADDR_HERE },
	{ "石家庄", C_NONE, R_ADDR_HERE }, { "兰州", C_NONE, R_ADDR_HERE },
	{ "无锡", C_NONE, R_ADDR_HERE }, { "佛山", C_NONE, R_ADDR_HERE },
	{ "东莞", C_NONE, R_ADDR_HERE }, { "珠海", C_NONE, R_ADDR_HERE },
	{ "温州", C_NONE, R_ADDR_HERE }, { "常州", C_NONE, R_ADDR_HERE },
	{ "徐州", C_NONE, R_ADDR_HERE }, { "烟台", C_NONE, R_ADDR_HERE },
	{ "嘉兴", C_NONE, R_ADDR_HERE }, { "绍兴", C_NONE, R_ADDR_HERE },
	{ "泉州", C_NONE, R_ADDR_HERE }, { "惠州", C_NONE, R_ADDR_HERE },
};
#define LEX_COUNT (sizeof lexicon / sizeof lexicon[0])

/* Compound surnames (kept as a whole before a given name). */
static const char *const compound_surnames[] = {
	"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
	"宇文", "司徒", "夏侯", "令狐", "钟离", "端木", "独孤", "南宫", "西门", "百里",
};

/* Lexicon words grouped by their first character: lex_first[slot - 1] lists them, longest
 * first (the longest word at a place wins). */
#define LEX_SLOTS 255
#define LEX_PER_SLOT 6
struct lex_group {
	uint8_t count;
	uint8_t idx[LEX_PER_SLOT];
};
static struct lex_group lex_first[LEX_SLOTS];
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

/* The code point of the 3-byte UTF-8 character at s (caller checked the lead byte). */
static uint32_t cp3(const unsigned char *s)
{
	return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
}

static int in_cjk(uint32_t cp)
{
	return cp >= CJK_FIRST && cp <= CJK_LAST;
}

/* Set flag on each character of the UTF-8 list (all 3-byte CJK characters). */
static void flag_chars(const char *list, uint8_t flag)
{
	const unsigned char *s = (const unsigned char *)list;
	for (; *s; s += 3) {
		uint32_t cp = cp3(s);
		if (in_cjk(cp))
			cjk_flags[cp - CJK_FIRST] |= flag;
	}
}

/* Enter lexicon word k under its first character, keeping the group longest first. */
static void lex_add(size_t k, uint8_t *slots_used)
{
	uint32_t cp = cp3((const unsigned char *)lexicon[k].w);
	uint8_t *slot = &lex_slot[cp - CJK_FIRST];
	if (*slot == 0) {
		if (*slots_used == LEX_SLOTS)
			return;
		*slot = ++*slots_used;
	}
	struct lex_group *g = &lex_first[*slot - 1];
	if (g->count == LEX_PER_SLOT)
		return;
	size_t at = g->count++, len = strlen(lexicon[k].w);
	while (at > 0 && strlen(lexicon[g->idx[at - 1]].w) < len) {
		g->idx[at] = g->idx[at - 1];
		at--;
	}
	g->idx[at] = (uint8_t)k;
	cjk_flags[cp - CJK_FIRST] |= F_LEX;
}

static void build_tables(void)
{
	uint8_t used = 0;
	flag_chars(surnames, F_SURNAME);
	flag_chars(name_stops, F_STOP);
	flag_chars(admin_markers, F_ADMIN);
	flag_chars(street_markers, F_STREET);
	flag_chars(unit_markers, F_UNIT);
	flag_chars("市", F_CITY);
	flag_chars("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高罗郑", F_TOP);
	for (size_t k = 0; k < LEX_COUNT; k++)
		lex_add(k, &used);
}

/* ------------------------------------------------------------------------------------ */
/* The scan                                                                             */
/* ------------------------------------------------------------------------------------ */

/* A context word counts for a span starting at most this many bytes after it; a word that
 * labels other numbers (订单号, 运单) only right before it ("订单号：", "运单 "). */
#define CTX_WINDOW 30
#define CTX_NEG_WINDOW 6
#define CONF_CTX_MATCH 15
#define CONF_CTX_CONTACT 10
#define CONF_CTX_NEG (-25)
#define CONF_CTX_NEG_CARD (-40) /* Luhn alone lets one order number in ten through */

struct scan {
	const unsigned char *s;
	size_t n;
	int min_conf;
	pv_pii_found_fn fn;
	void *ctx;
	size_t floor;   /* end of the last span reported: nothing before it is looked at again */
	size_t reported;
	int stopped;
	enum ctx_kind ctx_kind; /* the last context word seen, ending at ctx_end */
	size_t ctx_end;
	size_t word_end; /* end of the last lexicon word (a name may start there) */
};

/* The context kind that raises a span of type t. */
static enum ctx_kind ctx_for(pv_pii_type t)
{
	switch (t) {
	case PV_PII_RESIDENT_ID: return C_ID;
	case PV_PII_PHONE: return C_PHONE;
	case PV_PII_BANK_CARD: return C_CARD;
	case PV_PII_USCC: return C_USCC;
	case PV_PII_PASSPORT: return C_PASSPORT;
	case PV_PII_EMAIL: return C_EMAIL;
	case PV_PII_ADDRESS:
	case PV_PII_NAME: return C_CONTACT;
	}
	return C_NONE;
}

/* conf adjusted by the context word before start (when near enough). */
static int with_context(const struct scan *sc, pv_pii_type t, size_t start, int conf)
{
	if (sc->ctx_kind == C_NONE || start < sc->ctx_end || start - sc->ctx_end > CTX_WINDOW)
		return conf;
	if (sc->ctx_kind == ctx_for(t))
		conf += CONF_CTX_MATCH;
	else if (sc->ctx_kind == C_CONTACT)
		conf += CONF_CTX_CONTACT;
	else if (sc->ctx_kind == C_NEG && start - sc->ctx_end <= CTX_NEG_WINDOW)
		conf += t == PV_PII_BANK_CARD ? CONF_CTX_NEG_CARD : CONF_CTX_NEG;
	return conf > 99 ? 99 : conf;
}

/* Report [start, end) as type t of base confidence conf (context applied); 1 if reported. */
static int report(struct scan *sc, size_t start, size_t end, pv_pii_type t, int conf)
{
	if (sc->stopped || start < sc->floor || end <= start)
		return 0;
	conf = with_context(sc, t, start, conf);
	if (conf < sc->min_conf)
		return 0;
	pv_pii_span span = { start, end, t, conf };
	sc->floor = end;
	sc->reported++;
	if (sc->fn && sc->fn(sc->ctx, &span) != 0)
		sc->stopped = 1;
	return 1;
}

/* The value of an ASCII or full-width digit at s[i] and its width in *w; -1 if none. */
static int digit_at(const struct scan *sc, size_t i, size_t *w)
{
	const unsigned char *s = sc->s;
	if (i >= sc->n)
		return -1;
	if (is_digit(s[i])) {
		*w = 1;
		return s[i] - '0';
	}
	if (sc->n - i >= 3 && s[i] == 0xEF && s[i + 1] == 0xBC && s[i + 2] >= 0x90 &&
	    s[i + 2] <= 0x99) {
		*w = 3;
		return s[i + 2] - 0x90;
	}
	return -1;
}

/* 1 if the bytes at s[i] are the full-width character EF BC <third>. */
static int fw_is(const struct scan *sc, size_t i, unsigned char third)
{
	return sc->n - i >= 3 && sc->s[i] == 0xEF && sc->s[i + 1] == 0xBC && sc->s[i + 2] == third;
}

/* Width of a separator between digit groups at s[i] (space, hyphen, full-width hyphen), or 0. */
static size_t separator_at(const struct scan *sc, size_t i)
{
	if (i >= sc->n)
		return 0;
	if (sc->s[i] == ' ' || sc->s[i] == '-')
		return 1;
	return fw_is(sc, i, 0x8D) ? 3 : 0;
}


/* ------------------------------------------------------------------------------------ */
/* Runs of digits: phones, resident IDs, cards (and all-digit USCC codes)               */
/* ------------------------------------------------------------------------------------ */

#define RUN_GROUPS 16
#define RUN_DIGITS 64
#define NUMBER_MAX_DIGITS 23 /* 0086 and a landline: the longest number read */

/* Groups of digits joined by single separators, as written in the text. */
struct run {
	size_t start; /* first byte: '+', '(' or the first digit */
	size_t ng;
	size_t gstart[RUN_GROUPS], gend[RUN_GROUPS];
	size_t cum[RUN_GROUPS]; /* digits up to the end of each group */
	char sep[RUN_GROUPS];   /* the separator before each group (0 for the first) */
	char digits[RUN_DIGITS];
	int plus;      /* the run starts with '+' */
	int paren;     /* group 0 was written in parentheses: an area code */
	size_t x_end;  /* offset past an X right after the last group, or 0 */
	int card_ctx;  /* a word such as 卡号 stands before the run */
	size_t resume; /* where the scan goes on when no number ends later */
};

static size_t run_digits(const struct run *r, size_t g, size_t h)
{
	return r->cum[h - 1] - (g > 0 ? r->cum[g - 1] : 0);
}

static size_t group_len(const struct run *r, size_t g)
{
	return run_digits(r, g, g + 1);
}

/* Width of '+' or '＋' at s[i], or 0. */
static size_t plus_at(const struct scan *sc, size_t i)
{
	return i < sc->n && sc->s[i] == '+' ? 1 : fw_is(sc, i, 0x8B) ? 3 : 0;
}

static size_t open_paren_at(const struct scan *sc, size_t i)
{
	return i < sc->n && sc->s[i] == '(' ? 1 : fw_is(sc, i, 0x88) ? 3 : 0;
}

static size_t close_paren_at(const struct scan *sc, size_t i)
{
	return i < sc->n && sc->s[i] == ')' ? 1 : fw_is(sc, i, 0x89) ? 3 : 0;
}

/* Read the group of digits at s[i] into r; the offset past it. */
static size_t read_group(const struct scan *sc, size_t i, struct run *r)
{
	size_t w = 0, nd = r->ng > 0 ? r->cum[r->ng - 1] : 0;
	int d;
	r->gstart[r->ng] = i;
	r->sep[r->ng] = r->ng > 0 ? (char)sc->s[i - 1] : 0; /* a full-width hyphen: 0x8D */
	while ((d = digit_at(sc, i, &w)) >= 0) {
		if (nd < RUN_DIGITS)
			r->digits[nd] = (char)('0' + d);
		nd++;
		i += w;
	}
	r->gend[r->ng] = i;
	r->cum[r->ng] = nd;
	r->ng++;
	return i;
}

/* If a group follows s[i] directly or after one separator, its start; else 0. */
static size_t next_group(const struct scan *sc, size_t i)
{
	size_t w, sep = separator_at(sc, i);
	if (digit_at(sc, i, &w) >= 0)
		return i;
	return sep && digit_at(sc, i + sep, &w) >= 0 ? i + sep : 0;
}

/* The start of a run at s[i]: '+', an area code in parentheses ("(010)", "（0755）", read
 * as group 0) or a digit. The offset where the next group is read. */
static size_t run_prefix(const struct scan *sc, size_t i, struct run *r)
{
	size_t p = plus_at(sc, i);
	if (p) {
		r->plus = 1;
		return i + p;
	}
	p = open_paren_at(sc, i);
	if (!p)
		return i;
	size_t j = read_group(sc, i + p, r), q = close_paren_at(sc, j), next = 0;
	if (q && sc->s[i + p] == '0' && group_len(r, 0) <= 4)
		next = next_group(sc, j + q);
	if (next) {
		r->paren = 1;
		return next;
	}
	r->ng = 0; /* not an area code: the run starts at the digit */
	r->start = i + p;
	return i + p;
}

/* Offset past the ASCII letters, digits and dots from s[i]. */
static size_t skip_word(const struct scan *sc, size_t i)
{
	while (i < sc->n && (is_alnum(sc->s[i]) || sc->s[i] == '.'))
		i++;
	return i;
}

/* What follows the last group: an X check character, or a letter or decimal point that
 * makes the last group part of a word or an amount (dropped from the run). */
static void run_tail(const struct scan *sc, size_t i, struct run *r)
{
	size_t w;
	const unsigned char *s = sc->s;
	r->resume = i;
	if (i >= sc->n)
		return;
	if ((s[i] == 'X' || s[i] == 'x') && !(i + 1 < sc->n && is_alnum(s[i + 1]))) {
		r->x_end = i + 1;
		return;
	}
	if (is_alpha(s[i]) || (s[i] == '.' && digit_at(sc, i + 1, &w) >= 0) || s[i] == '@') {
		r->ng--; /* the word is read again from its start, unless the run is nothing else */
		r->resume = r->ng > 0 ? r->gstart[r->ng] : skip_word(sc, i);
	}
}

/* Collect the run starting at s[i] into r (r->ng may be 0: nothing to read). */
static void scan_run(const struct scan *sc, size_t i, struct run *r)
{
	r->ng = 0;
	r->plus = r->paren = 0;
	r->x_end = 0;
	r->start = i;
	i = read_group(sc, run_prefix(sc, i, r), r); /* after '(0xx)': the next group */
	while (r->ng < RUN_GROUPS && r->cum[r->ng - 1] + 20 < RUN_DIGITS) {
		size_t sep = separator_at(sc, i), w;
		if (!sep || digit_at(sc, i + sep, &w) < 0)
			break;
		i = read_group(sc, i + sep, r);
	}
	run_tail(sc, i, r);
}

/* 1 if groups [g, h) may be one long number: one group, or groups of 3 digits or more. */
static int shape_ok(const struct run *r, size_t g, size_t h)
{
	for (size_t k = g; k < h && h - g > 1; k++)
		if (group_len(r, k) < 3)
			return 0;
	return 1;
}

/* The written forms of a mobile number's 11 digits and of a landline's subscriber number,
 * as the lengths of their groups (0 ends a form): 138 1234 5678, 6234 5678, ... */
static const uint8_t mobile_forms[][3] = { { 11, 0, 0 }, { 3, 4, 4 }, { 3, 8, 0 }, { 7, 4, 0 } };
static const uint8_t subscriber_forms[][3] = { { 8, 0, 0 }, { 4, 4, 0 }, { 7, 0, 0 }, { 3, 4, 0 } };
#define FORMS 4

/* 1 if groups [g, h) of r (the first with skip more digits, a country code run onto it)
 * are written in one of the forms. */
static int written_as(const struct run *r, size_t g, size_t h, size_t skip,
		      const uint8_t (*forms)[3])
{
	for (size_t k = 0; k < FORMS; k++) {
		size_t i = 0;
		while (i < 3 && forms[k][i] && g + i < h &&
		       group_len(r, g + i) == forms[k][i] + (i == 0 ? skip : 0))
			i++;
		if ((i == 3 || !forms[k][i]) && g + i == h)
			return 1;
	}
	return 0;
}

/* Length of the area code (without its 0) a national number rest[0..rn) without a leading
 * 0 starts with, when the rest is a subscriber number of 7 or 8 digits starting 2..9;
 * else 0. Area codes: 10, 20-29, and three digits from 3xx to 9xx. */
static size_t area_len(const char *rest, size_t rn)
{
	size_t a;
	if (rest[0] == '1')
		a = rest[1] == '0' ? 2 : 0;
	else if (rest[0] == '2')
		a = 2;
	else if (rest[0] >= '3' && rest[0] <= '9')
		a = 3;
	else
		a = 0;
	if (a == 0 || rn < a + 7 || rn > a + 8 || rest[a] < '2' || rest[a] > '9')
		return 0;
	return a;
}

/* A landline written with its 0: the confidence (0: not one). In groups, the area code is
 * a group of its own (in parentheses: more sure); run together, it needs context. */
static int landline_conf(const struct run *r, size_t g, size_t h, const char *d, size_t nd)
{
	if (d[0] != '0' || nd < 2)
		return 0;
	size_t a = area_len(d + 1, nd - 1);
	if (a == 0)
		return 0;
	if (h - g == 1)
		return 35;
	if (group_len(r, g) != a + 1 || !written_as(r, g + 1, h, 0, subscriber_forms))
		return 0;
	/* "6226-0907-6984-5408": the groups of four of one long number, no area code */
	if (g > 0 && group_len(r, g - 1) == 4 && r->sep[g] == r->sep[g + 1])
		return 0;
	return g == 0 && r->paren ? 85 : 75;
}

/* The digits of a country code 86 in front of groups [g, h): 2 ("+86", or "86" before a
 * mobile), 4 ("0086"), 0 (none); -1 for a '+' and another country code. */
static int country_code(const struct run *r, size_t g, size_t h, const char *d, size_t nd)
{
	if (g == 0 && r->plus)
		return nd > 2 && d[0] == '8' && d[1] == '6' ? 2 : -1;
	if (nd > 4 && memcmp(d, "0086", 4) == 0 && (group_len(r, g) == 4 || h - g == 1))
		return 4;
	if (nd == 13 && d[0] == '8' && d[1] == '6' && pv_pii_mobile_ok(d + 2))
		return 2;
	return 0;
}

/* Groups [g, h) after a country code of cc digits (a group of its own, or run onto the
 * next): a mobile, or a landline without its 0 (area code a group of its own). */
static int classify_international(const struct run *r, size_t g, size_t h, const char *d,
				  size_t nd, int cc, int *conf)
{
	const char *rest = d + cc;
	size_t rn = nd - (size_t)cc, a;
	size_t first = group_len(r, g) == (size_t)cc ? g + 1 : g, skip = first == g ? (size_t)cc : 0;
	if (rn == 11 && pv_pii_mobile_ok(rest) && written_as(r, first, h, skip, mobile_forms)) {
		*conf = r->plus && g == 0 ? 90 : cc == 4 ? 85 : 75;
		return PV_PII_PHONE;
	}
	if ((cc == 4 || (r->plus && g == 0)) && (a = area_len(rest, rn)) != 0) {
		int own_group = first < h && group_len(r, first) == a + skip &&
				written_as(r, first + 1, h, 0, subscriber_forms);
		*conf = h - g == 1 ? 60 : 80;
		return h - g == 1 || own_group ? PV_PII_PHONE : -1;
	}
	return -1;
}

/* Groups [g, h) (nd digits d) as a card or an all-digit USCC code, whichever is likelier;
 * -1 if neither. */
static int card_or_uscc(const struct run *r, size_t g, size_t h, const char *d, size_t nd,
			int *conf)
{
	int card = -1, uscc = -1;
	if (nd >= 16 && nd <= 19 && pv_pii_luhn_ok(d, nd) && !(nd == 18 && id_shaped(d)))
		/* 17 and 18 digits: rare lengths, taken after a word such as 卡号 */
		card = !card_prefix_ok(d) ? 40 : nd == 16 || nd == 19 ? 80 : 45;
	if (nd == 18 && h - g == 1 && pv_pii_uscc_ok(d)) {
		/* one 18-digit number in 31 passes the check, in 341 both; an institution
		 * category (1-3, 9) and a province's division make it likelier */
		int shaped = strchr("1239", d[1]) != NULL && id_region_ok(d + 2);
		uscc = pv_pii_uscc_org_ok(d) ? 65 : shaped ? 55 : 40;
	}
	if (card < 0 && uscc < 0)
		return -1;
	int is_card = card >= uscc || (card >= 0 && r->card_ctx);
	*conf = is_card ? card : uscc;
	return is_card ? PV_PII_BANK_CARD : PV_PII_USCC;
}

/* Groups [g, h) as a resident ID, USCC or card number (nd digits d); -1 if none. */
static int classify_long(const struct run *r, size_t g, size_t h, const char *d, size_t nd,
			 int *conf)
{
	if (nd == 17 && h == r->ng && r->x_end) {
		char id[18];
		memcpy(id, d, 17);
		id[17] = 'X';
		*conf = 90;
		return pv_pii_resident_id_ok(id) ? PV_PII_RESIDENT_ID : -1;
	}
	if (nd == 18 && pv_pii_resident_id_ok(d)) {
		*conf = 90;
		return PV_PII_RESIDENT_ID;
	}
	if (nd == 15 && old_resident_id_ok(d)) {
		*conf = 40;
		return PV_PII_RESIDENT_ID;
	}
	return card_or_uscc(r, g, h, d, nd, conf);
}

/* What groups [g, h) of r are read as one number; -1 if nothing. *conf its confidence. */
static int classify(const struct run *r, size_t g, size_t h, int *conf)
{
	size_t base = g > 0 ? r->cum[g - 1] : 0, nd = r->cum[h - 1] - base;
	const char *d = r->digits + base;
	if (r->cum[h - 1] > RUN_DIGITS || nd > NUMBER_MAX_DIGITS)
		return -1;
	int cc = country_code(r, g, h, d, nd);
	if (cc < 0)
		return -1;
	if (cc > 0)
		return classify_international(r, g, h, d, nd, cc, conf);
	if (nd == 11 && pv_pii_mobile_ok(d) && written_as(r, g, h, 0, mobile_forms)) {
		*conf = 85;
		return PV_PII_PHONE;
	}
	int c = landline_conf(r, g, h, d, nd);
	if (c > 0) {
		*conf = c;
		return PV_PII_PHONE;
	}
	return shape_ok(r, g, h) ? classify_long(r, g, h, d, nd, conf) : -1;
}

/* The span of groups [g, h) read as type t: from the '+' or '(' for the first group, to
 * the X of an ID. */
static void number_span(const struct run *r, size_t g, size_t h, int t, size_t *start,
			size_t *end)
{
	*start = g == 0 ? r->start : r->gstart[g];
	*end = r->gend[h - 1];
	if (t == PV_PII_RESIDENT_ID && h == r->ng && r->x_end && run_digits(r, g, h) == 17)
		*end = r->x_end;
}

/* The reading of a run: for each group, what starts there in the best reading. */
struct reading {
	size_t unread[RUN_GROUPS + 1]; /* digits left unread from this group on */
	size_t numbers[RUN_GROUPS + 1];
	size_t next[RUN_GROUPS + 1];
	int type[RUN_GROUPS + 1], conf[RUN_GROUPS + 1];
};

/* 1 if reading a number [g, h) beats what rd holds for g: fewer digits unread, then fewer
 * numbers (a longer one). */
static int better(const struct reading *rd, size_t g, size_t h)
{
	if (rd->unread[h] != rd->unread[g])
		return rd->unread[h] < rd->unread[g];
	return rd->numbers[h] + 1 < rd->numbers[g];
}

/* 1 if reading groups [g, h) as a card or ID would leave the short group after it unread:
 * "9558 8021 1873 9704 068" is one number failing Luhn, not a card and "068". */
static int leaves_stub(const struct run *r, const struct reading *rd, size_t g, size_t h,
		       int t)
{
	if (t == PV_PII_PHONE || h - g < 2 || h >= r->ng)
		return 0;
	return rd->type[h] < 0 && group_len(r, h) <= 4;
}

/* Choose, by dynamic programming over the groups of r, the numbers that leave the fewest
 * digits unread ("6222 0212 3456 7890 138 1234 5678" is a card and a phone). Numbers whose
 * confidence in context stays under the threshold are not read. */
static void plan_run(const struct scan *sc, const struct run *r, struct reading *rd)
{
	size_t ng = r->ng;
	rd->unread[ng] = rd->numbers[ng] = 0;
	for (size_t g = ng; g-- > 0;) {
		rd->unread[g] = rd->unread[g + 1] + group_len(r, g);
		rd->numbers[g] = rd->numbers[g + 1];
		rd->next[g] = g + 1;
		rd->type[g] = -1;
		for (size_t h = g + 1; h <= ng; h++) {
			int conf = 0, t = classify(r, g, h, &conf);
			size_t start, end;
			if (t < 0 || !better(rd, g, h) || leaves_stub(r, rd, g, h, t))
				continue;
			number_span(r, g, h, t, &start, &end);
			conf = with_context(sc, (pv_pii_type)t, start, conf);
			if (conf < sc->min_conf)
				continue;
			rd->unread[g] = rd->unread[h];
			rd->numbers[g] = rd->numbers[h] + 1;
			rd->next[g] = h;
			rd->type[g] = t;
			rd->conf[g] = conf;
		}
	}
}

/* Read the run at s[i] and report its numbers; the offset where the scan goes on. */
static size_t on_number(struct scan *sc, size_t i)
{
	struct run r;
	struct reading rd;
	scan_run(sc, i, &r);
	r.card_ctx = with_context(sc, PV_PII_BANK_CARD, r.start, 0) > 0;
	if (r.ng == 0)
		return r.resume > i ? r.resume : i + 1;
	plan_run(sc, &r, &rd);
	size_t end = r.resume;
	for (size_t g = 0; g < r.ng && !sc->stopped; g = rd.next[g]) {
		if (rd.type[g] < 0)
			continue;
		size_t start, stop;
		number_span(&r, g, rd.next[g], rd.type[g], &start, &stop);
		pv_pii_span span = { start, stop, (pv_pii_type)rd.type[g], rd.conf[g] };
		sc->floor = stop;
		sc->reported++;
		if (sc->fn && sc->fn(sc->ctx, &span) != 0)
			sc->stopped = 1;
		if (stop > end)
			end = stop;
	}
	return end;
}

/* ------------------------------------------------------------------------------------ */
/* Words of ASCII letters and digits: e-mail addresses, USCC codes, passport numbers    */
/* ------------------------------------------------------------------------------------ */

static int is_local_char(unsigned char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

/* The end of a domain name at s[i]: labels of letters, digits and inner hyphens, at least
 * two, the last starting with two letters (digits run onto it are not part of it:
 * "a@b.com13812345678"); 0 if none. A final '.' ends the sentence, not the domain. */
static size_t domain_end(const struct scan *sc, size_t i)
{
	const unsigned char *s = sc->s;
	size_t labels = 0, good = 0;
	for (;;) {
		size_t q = i, alpha = 0;
		while (q < sc->n && (is_alnum(s[q]) || s[q] == '-')) {
			if (alpha == q - i && is_alpha(s[q]))
				alpha++;
			q++;
		}
		if (q == i || q - i > 63 || s[i] == '-' || s[q - 1] == '-')
			break;
		if (++labels >= 2 && alpha >= 2)
			good = alpha == q - i ? q : is_digit(s[i + alpha]) ? i + alpha : good;
		if (q + 1 < sc->n && s[q] == '.' && is_alnum(s[q + 1]))
			i = q + 1;
		else
			break;
	}
	return good;
}

/* If an e-mail address starts at s[i], report it and return the offset past it; else 0. */
static size_t on_email(struct scan *sc, size_t i)
{
	size_t at = i;
	while (at < sc->n && is_local_char(sc->s[at]))
		at++;
	if (at >= sc->n || sc->s[at] != '@' || sc->s[at - 1] == '.')
		return 0;
	size_t end = domain_end(sc, at + 1);
	if (end == 0)
		return 0;
	report(sc, i, end, PV_PII_EMAIL, 90);
	return end;
}

/* 1 if w[0..len) is a letter (not I or O) then 7 digits, or 8 digits when letter is 0. */
static int letters_digits(const unsigned char *w, size_t len, size_t letters)
{
	for (size_t k = 0; k < len; k++) {
		int want_letter = k < letters;
		if (want_letter ? !is_upper(w[k]) || w[k] == 'I' || w[k] == 'O' : !is_digit(w[k]))
			return 0;
	}
	return 1;
}

/* A word [i, j) with letters: a USCC code, or a passport-like number (E or G and 8 digits,
 * E, a letter and 7 digits; C for the mainland travel permit, H and M for the home-return
 * permit only with context). Tracking numbers (SF..., YT..., JD...) are none of these. */
static void classify_word(struct scan *sc, size_t i, size_t j)
{
	const unsigned char *w = sc->s + i;
	size_t len = j - i;
	if (len == 18 && pv_pii_uscc_ok((const char *)w)) {
		report(sc, i, j, PV_PII_USCC, pv_pii_uscc_org_ok((const char *)w) ? 90 : 80);
		return;
	}
	if (len == 9 && (w[0] == 'E' || w[0] == 'G') && letters_digits(w + 1, 8, 0))
		report(sc, i, j, PV_PII_PASSPORT, 60);
	else if (len == 9 && (w[0] == 'E' || w[0] == 'C') && letters_digits(w + 1, 8, 1))
		report(sc, i, j, PV_PII_PASSPORT, w[0] == 'E' ? 60 : 35);
	else if (len == 9 && w[0] == 'C' && letters_digits(w + 1, 8, 0))
		report(sc, i, j, PV_PII_PASSPORT, 35);
	else if ((len == 9 || len == 11) && (w[0] == 'H' || w[0] == 'M') &&
		 letters_digits(w + 1, len - 1, 0))
		report(sc, i, j, PV_PII_PASSPORT, 35);
}

/* A word of ASCII letters and digits starting at s[i]: an e-mail address, a number (digits,
 * perhaps an ID's final X), or a word with letters. The offset where the scan goes on. */
static size_t on_word(struct scan *sc, size_t i)
{
	size_t end = on_email(sc, i);
	if (end)
		return end;
	const unsigned char *s = sc->s;
	size_t j = i, letters = 0;
	for (; j < sc->n && is_alnum(s[j]); j++)
		letters += is_alpha(s[j]);
	int id_x = letters == 1 && j - i == 18 && (s[j - 1] == 'X' || s[j - 1] == 'x');
	if (id_x && !pv_pii_resident_id_ok((const char *)s + i) && s[j - 1] == 'X' &&
	    pv_pii_uscc_ok((const char *)s + i)) {
		/* 17 digits and X, no ID: a USCC code whose organisation code's check is X */
		report(sc, i, j, PV_PII_USCC, pv_pii_uscc_org_ok((const char *)s + i) ? 85 : 45);
		return j;
	}
	if (letters == 0 || id_x)
		return on_number(sc, i);
	classify_word(sc, i, j);
	return j;
}

/* ------------------------------------------------------------------------------------ */
/* Chinese words: context, names, addresses                                             */
/* ------------------------------------------------------------------------------------ */

/* The CJK ideograph at s[i] (3 bytes), or 0. */
static uint32_t cjk_at(const struct scan *sc, size_t i)
{
	if (i + 3 > sc->n)
		return 0;
	const unsigned char *s = sc->s + i;
	if (s[0] < 0xE4 || s[0] > 0xE9 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
		return 0;
	uint32_t cp = cp3(s);
	return in_cjk(cp) ? cp : 0;
}

static int has_flag(uint32_t cp, uint8_t flag)
{
	return cp != 0 && (cjk_flags[cp - CJK_FIRST] & flag) != 0;
}

/* The lexicon word at s[i] (its first character cp), longest first; NULL if none. */
static const struct lex_word *lexicon_at(const struct scan *sc, size_t i, uint32_t cp)
{
	uint8_t slot = has_flag(cp, F_LEX) ? lex_slot[cp - CJK_FIRST] : 0;
	if (slot == 0)
		return NULL;
	const struct lex_group *g = &lex_first[slot - 1];
	for (size_t k = 0; k < g->count; k++) {
		const char *w = lexicon[g->idx[k]].w;
		size_t l = strlen(w);
		if (l <= sc->n - i && memcmp(sc->s + i, w, l) == 0)
			return &lexicon[g->idx[k]];
	}
	return NULL;
}

/* Bytes of the surname at s[i]: 6 for a compound one, 3 for a single one, 0 if none. */
static size_t surname_at(const struct scan *sc, size_t i)
{
	for (size_t k = 0; k < sizeof compound_surnames / sizeof compound_surnames[0]; k++)
		if (i + 6 <= sc->n && memcmp(sc->s + i, compound_surnames[k], 6) == 0)
			return 6;
	return has_flag(cjk_at(sc, i), F_SURNAME) ? 3 : 0;
}

/* 1 if s[i] may be a character of a given name: an ideograph, no stop, no lexicon word. */
static int given_at(const struct scan *sc, size_t i)
{
	uint32_t cp = cjk_at(sc, i);
	return cp != 0 && !has_flag(cp, F_STOP) && !lexicon_at(sc, i, cp);
}

/* The end of a name starting at s[i] (a surname, one or two given-name characters), or 0.
 * A word of the lexicon (谢谢) starts no name. */
static size_t name_end(const struct scan *sc, size_t i)
{
	size_t sl = surname_at(sc, i);
	if (sl == 0 || lexicon_at(sc, i, cjk_at(sc, i)) || !given_at(sc, i + sl))
		return 0;
	size_t end = i + sl + 3;
	return given_at(sc, end) ? end + 3 : end;
}

/* Past the words joining a trigger to its name or address (space, colon, 是, 为, 叫). */
static size_t skip_joiners(const struct scan *sc, size_t i)
{
	for (int k = 0; k < 2 && i < sc->n; k++) {
		uint32_t cp = cjk_at(sc, i);
		if (sc->s[i] == ' ' || sc->s[i] == ':')
			i++;
		else if (fw_is(sc, i, 0x9A) || cp == 0x662F || cp == 0x4E3A || cp == 0x53EB)
			i += 3;
		else
			break;
	}
	return i;
}

/* 1 if a name may start at s[i]: not right after an ideograph that could begin it (after
 * a word of the lexicon such as 谢谢 or 通知, or a stop, it may). */
static int name_boundary(const struct scan *sc, size_t i)
{
	if (i < 3 || i <= sc->floor || i == sc->word_end)
		return 1;
	uint32_t cp = cjk_at(sc, i - 3);
	return cp == 0 || has_flag(cp, F_STOP);
}

/* A name just before the title at s[t] (王芳女士, 欧阳明先生): the longest that ends at t
 * and starts at a boundary, else the two-character one, less sure. Two characters the
 * second of which is a common surname are that surname alone before its title (到付张女士). */
static void on_title(struct scan *sc, size_t t)
{
	static const size_t back[] = { 12, 9, 6 };
	if (t >= 3 && has_flag(cjk_at(sc, t - 3), F_TOP))
		return;
	for (size_t k = 0; k < 3; k++) {
		if (t < back[k] + sc->floor)
			continue;
		size_t start = t - back[k];
		if (name_end(sc, start) == t && name_boundary(sc, start)) {
			report(sc, start, t, PV_PII_NAME, 70);
			return;
		}
	}
	if (t >= 6 + sc->floor && name_end(sc, t - 6) == t)
		report(sc, t - 6, t, PV_PII_NAME, 60);
}

/* Markers of the address at s[i] while it goes on. */
struct address_walk {
	size_t last;    /* end of the last marker */
	int admin, street, unit;
};

/* 1 if the character cp at s[k] ends an address being read: a lexicon word other than a
 * place name (电话, 联系人, 先生 ... start what follows it). */
static int ends_address(const struct scan *sc, size_t k, uint32_t cp)
{
	const struct lex_word *lw = lexicon_at(sc, k, cp);
	return lw != NULL && lw->role != R_ADDR_HERE;
}

/* The end of the address starting at s[i] (at its last marker), or 0 when what follows is
 * no address: fewer than two markers, none of a street, village or building, or fewer
 * than min_admin of a region. */
static size_t address_end(const struct scan *sc, size_t i, int min_admin)
{
	struct address_walk a = { 0, 0, 0, 0 };
	size_t k = i, since = 0, w;
	for (size_t chars = 0; k < sc->n && chars < 64 && since <= 10; chars++) {
		unsigned char c = sc->s[k];
		if (c < 0x80) {
			if (!is_alnum(c) && c != '-' && c != '#')
				break;
			k++, since++;
			continue;
		}
		if (digit_at(sc, k, &w) >= 0) {
			k += w, since++;
			continue;
		}
		uint32_t cp = cjk_at(sc, k);
		if (cp == 0 || (k > i && ends_address(sc, k, cp)))
			break;
		uint8_t f = cjk_flags[cp - CJK_FIRST];
		a.admin += (f & F_ADMIN) != 0;
		a.street += (f & F_STREET) != 0;
		a.unit += (f & F_UNIT) != 0;
		since = (f & (F_ADMIN | F_STREET | F_UNIT)) ? 0 : since + 1;
		k += 3;
		if (since == 0)
			a.last = k;
	}
	if (a.admin + a.street + a.unit < 2 || a.street + a.unit == 0 || a.admin < min_admin)
		return 0;
	return a.last;
}

/* Report the address at s[i] if there is one; the offset past it, or 0. */
static size_t try_address(struct scan *sc, size_t i, int conf)
{
	size_t end = address_end(sc, i, 0);
	return end && report(sc, i, end, PV_PII_ADDRESS, conf) ? end : 0;
}

/* 市 at s[i]: an address may start with the two characters before it, a city's name
 * (保定市竞秀区...), when a district follows (two region markers at least) and the 市 is
 * no shop's (超市, 门市). The offset where the scan goes on. */
static size_t on_city_marker(struct scan *sc, size_t i)
{
	if (i < 6 || i - 6 < sc->floor)
		return i + 3;
	uint32_t a = cjk_at(sc, i - 6), b = cjk_at(sc, i - 3);
	if (!a || !b || has_flag(a, F_STOP) || has_flag(b, F_STOP) || b == 0x8D85 /* 超 */ ||
	    b == 0x95E8 /* 门 */)
		return i + 3;
	size_t end = address_end(sc, i - 6, 2);
	return end && report(sc, i - 6, end, PV_PII_ADDRESS, 60) ? end : i + 3;
}

/* A lexicon word at s[i] (first character cp): context, a name or an address around it.
 * The offset where the scan goes on. */
static size_t on_lexicon(struct scan *sc, size_t i, uint32_t cp)
{
	const struct lex_word *lw = lexicon_at(sc, i, cp);
	if (!lw)
		return i + 3;
	size_t end = i + strlen(lw->w), p, e = 0;
	if (lw->role == R_TITLE)
		on_title(sc, i);
	sc->word_end = end;
	if (lw->ctx != C_NONE) {
		sc->ctx_kind = (enum ctx_kind)lw->ctx;
		sc->ctx_end = end;
	}
	switch ((enum lex_role)lw->role) {
	case R_NAME_AFTER:
		p = skip_joiners(sc, end);
		e = name_end(sc, p);
		e = e && report(sc, p, e, PV_PII_NAME, 75) ? e : 0;
		break;
	case R_ADDR_AFTER:
		e = try_address(sc, skip_joiners(sc, end), 70);
		break;
	case R_ADDR_HERE:
		e = try_address(sc, i, 65);
		break;
	case R_CTX:
	case R_TITLE:
		break;
	}
	return e ? e : end;
}

/* ------------------------------------------------------------------------------------ */
/* The main loop                                                                        */
/* ------------------------------------------------------------------------------------ */

/* An ASCII byte at s[i]: a word, a number after '+' or '(', a line end. */
static size_t on_ascii(struct scan *sc, size_t i)
{
	const unsigned char *s = sc->s;
	unsigned char c = s[i];
	size_t w;
	if (is_alnum(c)) {
		int glued = i > sc->floor && (is_alnum(s[i - 1]) ||
					      (s[i - 1] == '.' && i >= 2 && is_digit(s[i - 2])));
		return glued ? skip_word(sc, i) : on_word(sc, i);
	}
	if ((c == '+' || c == '(') && digit_at(sc, i + 1, &w) >= 0)
		return on_number(sc, i);
	if (c == '\n')
		sc->ctx_kind = C_NONE;
	return i + 1;
}

/* A byte EF at s[i]: full-width digits, '＋', '（' start numbers; '；', '！', '？' end a
 * sentence (and its context). */
static size_t on_fullwidth(struct scan *sc, size_t i)
{
	size_t w;
	if (digit_at(sc, i, &w) >= 0 ||
	    ((plus_at(sc, i) || open_paren_at(sc, i)) && digit_at(sc, i + 3, &w) >= 0))
		return on_number(sc, i);
	if (fw_is(sc, i, 0x9B) || fw_is(sc, i, 0x81) || fw_is(sc, i, 0x9F))
		sc->ctx_kind = C_NONE;
	return i + 1;
}

static void scan_text(struct scan *sc)
{
	const unsigned char *s = sc->s;
	size_t i = 0;
	while (i < sc->n && !sc->stopped) {
		unsigned char c = s[i];
		if (c < 0x80) {
			i = on_ascii(sc, i);
		} else if (c >= 0xE4 && c <= 0xE9 && sc->n - i >= 3) {
			uint32_t cp = cp3(s + i);
			uint8_t f = in_cjk(cp) ? cjk_flags[cp - CJK_FIRST] : 0;
			if (f & F_LEX)
				i = on_lexicon(sc, i, cp);
			else if (f & F_CITY)
				i = on_city_marker(sc, i);
			else
				i += 3;
		} else if (c == 0xEF) {
			i = on_fullwidth(sc, i);
		} else {
			if (c == 0xE3 && sc->n - i >= 3 && s[i + 1] == 0x80 && s[i + 2] == 0x82)
				sc->ctx_kind = C_NONE; /* 。 */
			i++;
		}
	}
}

int pv_pii_name_alone(const char *s, size_t len)
{
	pthread_once(&tables_once, build_tables);
	struct scan sc = { (const unsigned char *)s, len, 0, NULL, NULL, 0, 0, 0, C_NONE, 0, 0 };
	return len > 0 && name_end(&sc, 0) == len;
}

size_t pv_pii_scan(const char *text, size_t len, int min_confidence, pv_pii_found_fn fn,
		   void *ctx)
{
	if (!text || len == 0)
		return 0;
	pthread_once(&tables_once, build_tables);
	struct scan sc = { (const unsigned char *)text, len, min_confidence, fn, ctx, 0, 0, 0,
			   C_NONE, 0, 0 };
	scan_text(&sc);
	return sc.reported;
}

const char *pv_pii_type_name(pv_pii_type t)
{
	switch (t) {
	case PV_PII_RESIDENT_ID: return "resident_id";
	case PV_PII_PHONE: return "phone";
	case PV_PII_BANK_CARD: return "bank_card";
	case PV_PII_USCC: return "uscc";
	case PV_PII_EMAIL: return "email";
	case PV_PII_PASSPORT: return "passport";
	case PV_PII_ADDRESS: return "address";
	case PV_PII_NAME: return "name";
	}
	return "unknown";
}
