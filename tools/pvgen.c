/* SPDX-License-Identifier: Apache-2.0 */
/* pvgen: pivault's sample-data generator. Writes realistic but fictitious Chinese customer
 * records, in the columns of examples/schema.yaml and with valid check characters, as
 * RFC 4180 CSV (UTF-8, CRLF record ends, a header row). */

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "validate.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Customer numbers are written as "C" and 8 digits. */
#define PVGEN_MAX_NO 99999999ULL

static const char pvgen_usage[] =
	"usage: pvgen [-n COUNT] [--seed S] [--start K] [-o FILE] [--canonical]\n"
	"             [--bad-every K] [--verbose] [--help]\n"
	"\n"
	"Writes COUNT fictitious Chinese customer records as RFC 4180 CSV (UTF-8, CRLF line\n"
	"ends, header row) with the columns of examples/schema.yaml:\n"
	"  customer_id,name,phone,id_number,email,address,bank_card,company_uscc,contract_no,\n"
	"  last_order_amount,last_order_date,preferences,created_at,consent_marketing\n"
	"\n"
	"  -n, --count COUNT   number of records (default 1000; 0 writes the header only)\n"
	"  --seed S            seed, decimal or 0x-hex (default 1); same seed, same output\n"
	"  --start K           number of the first customer (default 1; C00000001), at\n"
	"                      most 99999999\n"
	"  -o, --output FILE   write to FILE instead of standard output\n"
	"  --canonical         write phone numbers always as E.164 (+86 and 11 digits)\n"
	"  --bad-every K       give every K-th record of this run one invalid value, in turn:\n"
	"                      resident ID check character, bank card Luhn digit, phone\n"
	"                      number, last_order_date, USCC check character\n"
	"  -v, --verbose       list the invalid records and a summary on standard error\n"
	"  -h, --help          show this help\n"
	"\n"
	"A record depends only on the seed and its customer number (--canonical changes only\n"
	"the phone spelling), so runs with different --start values are chunks of one data\n"
	"set. Resident ID numbers and phone numbers are unique within a seed.\n"
	"Exit status: 0 done, 1 I/O error, 2 bad usage.\n";

/* ---------------------------------------------------------------------------------------
 * Pseudo-random numbers: xoshiro256** seeded through the splitmix64 finaliser. */

/* The splitmix64 finaliser: a bijective mix of 64 bits. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

struct rng {
	uint64_t s[4];
};

/* Seed r for stream `stream` (a customer number) of the run seeded with `seed`; the state
 * depends on nothing else, so a record is the same whatever else is generated. */
static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = mix64(mix64(seed ^ 0x5ca1ab1e0ddba11ULL) ^ stream);
	for (int i = 0; i < 4; i++)
		r->s[i] = mix64(x + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL);
}

/* The next 64 random bits (xoshiro256**). */
static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return out;
}

/* A number in [0, n), n >= 1 (multiply-shift; the bias is below 2^-32 * n). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* A number in [lo, hi], lo <= hi. */
static int32_t rng_range(struct rng *r, int32_t lo, int32_t hi)
{
	return lo + (int32_t)rng_below(r, (uint32_t)(hi - lo) + 1u);
}

/* 1 with probability pct percent. */
static int rng_pct(struct rng *r, uint32_t pct)
{
	return rng_below(r, 100) < pct;
}

/* ---------------------------------------------------------------------------------------
 * A keyed permutation of [0, domain): a four-round balanced Feistel network over the
 * smallest even bit width that holds the domain, with cycle walking. Used to hand out
 * unique resident ID numbers and phone numbers from customer numbers. */

struct perm {
	uint64_t domain;
	unsigned half;  /* bits in each half */
	uint64_t mask;  /* (1 << half) - 1 */
	uint64_t key[4];
};

static void perm_init(struct perm *p, uint64_t domain, uint64_t seed, uint64_t tweak)
{
	p->domain = domain;
	p->half = 1;
	while (p->half < 32 && (1ULL << (2 * p->half)) < domain)
		p->half++;
	p->mask = (1ULL << p->half) - 1;
	for (int i = 0; i < 4; i++)
		p->key[i] = mix64(mix64(seed) ^ mix64(tweak + (uint64_t)i));
}

/* The image of x (x < domain) under the permutation; distinct x give distinct results, all
 * below domain. */
static uint64_t perm_apply(const struct perm *p, uint64_t x)
{
	do {
		uint64_t l = x >> p->half, rr = x & p->mask;
		for (int i = 0; i < 4; i++) {
			uint64_t t = l ^ (mix64(rr ^ p->key[i]) & p->mask);
			l = rr;
			rr = t;
		}
		x = (l << p->half) | rr;
	} while (x >= p->domain);
	return x;
}

/* ---------------------------------------------------------------------------------------
 * Calendar: days are numbered from 1950-01-01 (day 0) through the end of DATE_Y1. */

#define DATE_Y0 1950
#define DATE_Y1 2031

static int32_t year_start[DATE_Y1 - DATE_Y0 + 2];

static const int16_t month_start[2][13] = {
	{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
	{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
};

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Fill year_start; call once before any other calendar function. */
static void date_init(void)
{
	int32_t d = 0;
	for (int y = DATE_Y0; y <= DATE_Y1 + 1; y++) {
		year_start[y - DATE_Y0] = d;
		d += is_leap(y) ? 366 : 365;
	}
}

/* Day number of a real date y-m-d with DATE_Y0 <= y <= DATE_Y1. */
static int32_t day_no(int y, int m, int d)
{
	return year_start[y - DATE_Y0] + month_start[is_leap(y)][m - 1] + d - 1;
}

/* The date of day number n (0 <= n < days through DATE_Y1). */
static void day_date(int32_t n, int *y, int *m, int *d)
{
	int yy = DATE_Y0 + n / 365;
	if (yy > DATE_Y1)
		yy = DATE_Y1;
	while (year_start[yy - DATE_Y0] > n)
		yy--;
	int32_t doy = n - year_start[yy - DATE_Y0];
	const int16_t *ms = month_start[is_leap(yy)];
	int mm = 1;
	while (ms[mm] <= doy)
		mm++;
	*y = yy;
	*m = mm;
	*d = doy - ms[mm - 1] + 1;
}

/* ---------------------------------------------------------------------------------------
 * Small writers into caller buffers; each returns the new end. Callers size the buffers
 * for the longest value the tables can produce. */

/* v as exactly w decimal digits, zero padded (the low w digits if v is longer). */
static char *put_dec(char *d, uint64_t v, int w)
{
	for (int i = w - 1; i >= 0; i--) {
		d[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return d + w;
}

/* v in decimal, no padding. */
static char *put_u(char *d, uint64_t v)
{
	char t[20];
	int n = 0;
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*d++ = t[--n];
	return d;
}

static char *put_s(char *d, const char *s)
{
	size_t n = strlen(s);
	memcpy(d, s, n);
	return d + n;
}

/* s with its first letter upper-cased (ASCII). */
static char *put_cap(char *d, const char *s)
{
	char *e = put_s(d, s);
	if (d < e && *d >= 'a' && *d <= 'z')
		*d = (char)(*d - 'a' + 'A');
	return e;
}

/* Day number n as YYYY-MM-DD. */
static char *put_date(char *d, int32_t n)
{
	int y, m, dd;
	day_date(n, &y, &m, &dd);
	d = put_dec(d, (uint64_t)y, 4);
	*d++ = '-';
	d = put_dec(d, (uint64_t)m, 2);
	*d++ = '-';
	return put_dec(d, (uint64_t)dd, 2);
}

/* ---------------------------------------------------------------------------------------
 * Tables. All names, places and companies are for realism only; no record is a person. */

struct surname {
	const char *han;
	const char *py;  /* pinyin, lower case ASCII (ü written v) */
	uint32_t w;      /* relative frequency */
};

static const struct surname surnames[] = {
	{"王", "wang", 710}, {"李", "li", 700}, {"张", "zhang", 640}, {"刘", "liu", 540},
	{"陈", "chen", 460}, {"杨", "yang", 310}, {"黄", "huang", 220}, {"赵", "zhao", 200},
	{"吴", "wu", 190}, {"周", "zhou", 190}, {"徐", "xu", 130}, {"孙", "sun", 130},
	{"马", "ma", 120}, {"朱", "zhu", 120}, {"胡", "hu", 110}, {"郭", "guo", 110},
	{"何", "he", 100}, {"林", "lin", 100}, {"高", "gao", 100}, {"罗", "luo", 90},
	{"郑", "zheng", 85}, {"梁", "liang", 85}, {"谢", "xie", 70}, {"宋", "song", 65},
	{"唐", "tang", 65}, {"许", "xu", 60}, {"韩", "han", 60}, {"冯", "feng", 60},
	{"邓", "deng", 60}, {"曹", "cao", 55}, {"彭", "peng", 55}, {"曾", "zeng", 55},
	{"肖", "xiao", 55}, {"田", "tian", 50}, {"董", "dong", 50}, {"袁", "yuan", 50},
	{"潘", "pan", 45}, {"于", "yu", 45}, {"蒋", "jiang", 45}, {"蔡", "cai", 45},
	{"余", "yu", 45}, {"杜", "du", 45}, {"叶", "ye", 45}, {"程", "cheng", 45},
	{"苏", "su", 40}, {"魏", "wei", 40}, {"吕", "lv", 40}, {"丁", "ding", 40},
	{"任", "ren", 40}, {"沈", "shen", 40}, {"姚", "yao", 35}, {"卢", "lu", 35},
	{"姜", "jiang", 35}, {"崔", "cui", 35}, {"钟", "zhong", 35}, {"谭", "tan", 35},
	{"陆", "lu", 35}, {"汪", "wang", 35}, {"范", "fan", 35}, {"金", "jin", 30},
	{"石", "shi", 30}, {"廖", "liao", 30}, {"贾", "jia", 30}, {"夏", "xia", 30},
	{"韦", "wei", 30}, {"付", "fu", 30}, {"方", "fang", 30}, {"白", "bai", 30},
	{"邹", "zou", 30}, {"孟", "meng", 30}, {"熊", "xiong", 30}, {"秦", "qin", 30},
	{"邱", "qiu", 30}, {"江", "jiang", 30}, {"尹", "yin", 25}, {"薛", "xue", 25},
	{"闫", "yan", 25}, {"段", "duan", 25}, {"雷", "lei", 25}, {"侯", "hou", 25},
	{"龙", "long", 25}, {"史", "shi", 25}, {"陶", "tao", 20}, {"黎", "li", 20},
	{"贺", "he", 20}, {"顾", "gu", 20}, {"毛", "mao", 20}, {"郝", "hao", 20},
	{"龚", "gong", 20}, {"邵", "shao", 20}, {"万", "wan", 20}, {"钱", "qian", 20},
	{"严", "yan", 20}, {"覃", "qin", 15}, {"武", "wu", 15}, {"戴", "dai", 15},
	{"莫", "mo", 15}, {"孔", "kong", 15}, {"向", "xiang", 15}, {"汤", "tang", 15},
	{"常", "chang", 15}, {"温", "wen", 15}, {"康", "kang", 15}, {"施", "shi", 15},
	{"文", "wen", 15}, {"牛", "niu", 15}, {"樊", "fan", 15}, {"葛", "ge", 15},
	{"邢", "xing", 15}, {"安", "an", 10}, {"齐", "qi", 10}, {"易", "yi", 10},
	{"乔", "qiao", 10}, {"伍", "wu", 10}, {"庞", "pang", 10}, {"颜", "yan", 10},
	{"倪", "ni", 10}, {"庄", "zhuang", 10}, {"聂", "nie", 10}, {"章", "zhang", 10},
	{"鲁", "lu", 10}, {"岳", "yue", 10}, {"翟", "zhai", 10}, {"殷", "yin", 10},
	{"詹", "zhan", 10}, {"申", "shen", 10}, {"欧", "ou", 10}, {"耿", "geng", 10},
	{"关", "guan", 10}, {"兰", "lan", 10}, {"焦", "jiao", 10}, {"俞", "yu", 10},
	{"左", "zuo", 10}, {"柳", "liu", 10}, {"甘", "gan", 10}, {"祝", "zhu", 10},
	{"包", "bao", 10}, {"宁", "ning", 10}, {"尚", "shang", 10}, {"符", "fu", 10},
	{"舒", "shu", 10}, {"阮", "ruan", 10}, {"柯", "ke", 10}, {"纪", "ji", 10},
	{"梅", "mei", 10}, {"童", "tong", 10}, {"凌", "ling", 10}, {"毕", "bi", 10},
	{"单", "shan", 10}, {"季", "ji", 10}, {"裴", "pei", 10}, {"霍", "huo", 10},
	{"涂", "tu", 10}, {"成", "cheng", 10}, {"苗", "miao", 10}, {"谷", "gu", 10},
	{"盛", "sheng", 10}, {"曲", "qu", 10}, {"翁", "weng", 10}, {"冉", "ran", 5},
	{"骆", "luo", 5}, {"蓝", "lan", 5}, {"路", "lu", 5}, {"游", "you", 5},
	{"辛", "xin", 5}, {"靳", "jin", 5}, {"管", "guan", 5}, {"柴", "chai", 5},
	{"蒙", "meng", 5}, {"鲍", "bao", 5}, {"华", "hua", 5}, {"喻", "yu", 5},
	{"祁", "qi", 5}, {"蒲", "pu", 5}, {"房", "fang", 5}, {"滕", "teng", 5},
	{"屈", "qu", 5}, {"饶", "rao", 5}, {"解", "xie", 5}, {"牟", "mou", 5},
	{"艾", "ai", 5}, {"尤", "you", 5}, {"时", "shi", 5}, {"穆", "mu", 5},
	{"农", "nong", 5}, {"卓", "zhuo", 5}, {"古", "gu", 5}, {"吉", "ji", 5},
	{"缪", "miao", 5}, {"简", "jian", 5}, {"车", "che", 5}, {"项", "xiang", 5},
	{"连", "lian", 5}, {"麦", "mai", 5}, {"褚", "chu", 5}, {"娄", "lou", 5},
	{"窦", "dou", 5}, {"戚", "qi", 5}, {"岑", "cen", 5}, {"景", "jing", 5},
	{"党", "dang", 5}, {"宫", "gong", 5}, {"费", "fei", 5}, {"卜", "bu", 5},
	{"冷", "leng", 5}, {"晏", "yan", 5}, {"席", "xi", 5}, {"卫", "wei", 5},
	{"米", "mi", 5}, {"柏", "bai", 5}, {"宗", "zong", 5}, {"桂", "gui", 5},
	{"全", "quan", 5}, {"苟", "gou", 5},
	/* compound surnames */
	{"欧阳", "ouyang", 8}, {"司马", "sima", 4}, {"诸葛", "zhuge", 4},
	{"上官", "shangguan", 4}, {"司徒", "situ", 4}, {"东方", "dongfang", 3},
	{"皇甫", "huangfu", 3}, {"慕容", "murong", 3}, {"令狐", "linghu", 3},
	{"夏侯", "xiahou", 3}, {"尉迟", "yuchi", 2}, {"公孙", "gongsun", 2},
	{"端木", "duanmu", 2}, {"长孙", "zhangsun", 2},
};

static uint32_t surname_cum[NELEM(surnames)];

struct given {
	const char *han;
	const char *py;
};

static const struct given given_male[] = {
	{"伟", "wei"}, {"强", "qiang"}, {"磊", "lei"}, {"军", "jun"}, {"勇", "yong"},
	{"杰", "jie"}, {"涛", "tao"}, {"超", "chao"}, {"刚", "gang"}, {"辉", "hui"},
	{"鑫", "xin"}, {"浩", "hao"}, {"亮", "liang"}, {"飞", "fei"}, {"斌", "bin"},
	{"鹏", "peng"}, {"峰", "feng"}, {"志", "zhi"}, {"国", "guo"}, {"俊", "jun"},
	{"凯", "kai"}, {"昊", "hao"}, {"泽", "ze"}, {"航", "hang"}, {"铭", "ming"},
	{"东", "dong"}, {"荣", "rong"}, {"福", "fu"}, {"振", "zhen"}, {"德", "de"},
	{"兵", "bing"}, {"坤", "kun"}, {"帅", "shuai"}, {"博", "bo"}, {"睿", "rui"},
	{"轩", "xuan"}, {"豪", "hao"}, {"宏", "hong"}, {"健", "jian"}, {"龙", "long"},
	{"彬", "bin"}, {"毅", "yi"},
};

static const struct given given_female[] = {
	{"芳", "fang"}, {"娜", "na"}, {"静", "jing"}, {"丽", "li"}, {"艳", "yan"},
	{"娟", "juan"}, {"秀", "xiu"}, {"霞", "xia"}, {"桂", "gui"}, {"英", "ying"},
	{"萍", "ping"}, {"红", "hong"}, {"婷", "ting"}, {"雪", "xue"}, {"琳", "lin"},
	{"晶", "jing"}, {"梅", "mei"}, {"丹", "dan"}, {"燕", "yan"}, {"琴", "qin"},
	{"兰", "lan"}, {"凤", "feng"}, {"颖", "ying"}, {"倩", "qian"}, {"婧", "jing"},
	{"诗", "shi"}, {"悦", "yue"}, {"蕾", "lei"}, {"莉", "li"}, {"璐", "lu"},
	{"蓉", "rong"}, {"洁", "jie"}, {"薇", "wei"}, {"婉", "wan"}, {"瑶", "yao"},
	{"茜", "qian"}, {"怡", "yi"}, {"欣", "xin"}, {"慧", "hui"}, {"玲", "ling"},
	{"佳", "jia"}, {"涵", "han"}, {"梦", "meng"}, {"露", "lu"}, {"月", "yue"},
	{"妍", "yan"},
};

static const struct given given_neutral[] = {
	{"明", "ming"}, {"华", "hua"}, {"玉", "yu"}, {"建", "jian"}, {"文", "wen"},
	{"宇", "yu"}, {"晨", "chen"}, {"林", "lin"}, {"宁", "ning"}, {"嘉", "jia"},
	{"子", "zi"}, {"梓", "zi"}, {"思", "si"}, {"雨", "yu"}, {"晓", "xiao"},
	{"春", "chun"}, {"天", "tian"}, {"然", "ran"}, {"一", "yi"}, {"诺", "nuo"},
	{"阳", "yang"}, {"成", "cheng"}, {"永", "yong"}, {"新", "xin"}, {"清", "qing"},
	{"立", "li"}, {"光", "guang"}, {"家", "jia"}, {"云", "yun"}, {"安", "an"},
	{"乐", "le"}, {"可", "ke"}, {"心", "xin"}, {"海", "hai"}, {"平", "ping"},
	{"波", "bo"}, {"秋", "qiu"}, {"晗", "han"}, {"若", "ruo"}, {"书", "shu"},
};

/* Administrative divisions (GB/T 2260 district codes). prov is "" for the municipalities,
 * whose city name already says it. */
struct area {
	const char *code;
	const char *prov;
	const char *city;
	const char *dist;
};

static const struct area areas[] = {
	{"110101", "", "北京市", "东城区"},
	{"110102", "", "北京市", "西城区"},
	{"110105", "", "北京市", "朝阳区"},
	{"110106", "", "北京市", "丰台区"},
	{"110108", "", "北京市", "海淀区"},
	{"120101", "", "天津市", "和平区"},
	{"120104", "", "天津市", "南开区"},
	{"310101", "", "上海市", "黄浦区"},
	{"310104", "", "上海市", "徐汇区"},
	{"310105", "", "上海市", "长宁区"},
	{"310115", "", "上海市", "浦东新区"},
	{"500103", "", "重庆市", "渝中区"},
	{"500106", "", "重庆市", "沙坪坝区"},
	{"440103", "广东省", "广州市", "荔湾区"},
	{"440104", "广东省", "广州市", "越秀区"},
	{"440106", "广东省", "广州市", "天河区"},
	{"440304", "广东省", "深圳市", "福田区"},
	{"440305", "广东省", "深圳市", "南山区"},
	{"440306", "广东省", "深圳市", "宝安区"},
	{"440307", "广东省", "深圳市", "龙岗区"},
	{"330102", "浙江省", "杭州市", "上城区"},
	{"330106", "浙江省", "杭州市", "西湖区"},
	{"330108", "浙江省", "杭州市", "滨江区"},
	{"330203", "浙江省", "宁波市", "海曙区"},
	{"320102", "江苏省", "南京市", "玄武区"},
	{"320106", "江苏省", "南京市", "鼓楼区"},
	{"320505", "江苏省", "苏州市", "虎丘区"},
	{"320508", "江苏省", "苏州市", "姑苏区"},
	{"370102", "山东省", "济南市", "历下区"},
	{"370202", "山东省", "青岛市", "市南区"},
	{"420106", "湖北省", "武汉市", "武昌区"},
	{"420111", "湖北省", "武汉市", "洪山区"},
	{"430102", "湖南省", "长沙市", "芙蓉区"},
	{"430104", "湖南省", "长沙市", "岳麓区"},
	{"510104", "四川省", "成都市", "锦江区"},
	{"510107", "四川省", "成都市", "武侯区"},
	{"610103", "陕西省", "西安市", "碑林区"},
	{"610113", "陕西省", "西安市", "雁塔区"},
	{"210102", "辽宁省", "沈阳市", "和平区"},
	{"210202", "辽宁省", "大连市", "中山区"},
	{"220102", "吉林省", "长春市", "南关区"},
	{"230103", "黑龙江省", "哈尔滨市", "南岗区"},
	{"350102", "福建省", "福州市", "鼓楼区"},
	{"350203", "福建省", "厦门市", "思明区"},
	{"410105", "河南省", "郑州市", "金水区"},
	{"130102", "河北省", "石家庄市", "长安区"},
	{"140105", "山西省", "太原市", "小店区"},
	{"340104", "安徽省", "合肥市", "蜀山区"},
	{"360102", "江西省", "南昌市", "东湖区"},
	{"530102", "云南省", "昆明市", "五华区"},
	{"520102", "贵州省", "贵阳市", "南明区"},
	{"450103", "广西壮族自治区", "南宁市", "青秀区"},
	{"460106", "海南省", "海口市", "龙华区"},
	{"620102", "甘肃省", "兰州市", "城关区"},
	{"150102", "内蒙古自治区", "呼和浩特市", "新城区"},
	{"650102", "新疆维吾尔自治区", "乌鲁木齐市", "天山区"},
	{"640104", "宁夏回族自治区", "银川市", "兴庆区"},
	{"630102", "青海省", "西宁市", "城东区"},
	{"540102", "西藏自治区", "拉萨市", "城关区"},
};

/* Mainland mobile prefixes. */
static const uint16_t phone_prefixes[] = {
	130, 131, 132, 133, 134, 135, 136, 137, 138, 139,
	150, 151, 152, 153, 155, 156, 157, 158, 159,
	166,
	170, 171, 172, 173, 174, 175, 176, 177, 178,
	180, 181, 182, 183, 184, 185, 186, 187, 188, 189,
	198, 199,
};

static const char *const streets[] = {
	"人民路", "中山路", "解放路", "建设路", "新华路", "和平路", "长江路", "黄河路",
	"文化路", "学府路", "科技园路", "青年路", "胜利路", "幸福路", "东风路", "朝阳路",
	"光明路", "滨江路", "湖滨路", "花园路", "工业大道", "世纪大道", "创业路", "振兴路",
	"友谊路", "体育路", "复兴路", "金融街", "商业街", "迎宾大道",
};

static const char *const communities[] = {
	"阳光花园", "锦绣家园", "翠苑小区", "金色家园", "碧水湾", "和谐家园", "幸福里",
	"华府天地", "绿城花园", "书香苑", "星河湾", "城市之光", "丽景苑", "紫荆园",
};

static const char *const office_buildings[] = {
	"国际大厦", "金融中心", "科技大厦", "创新广场", "财富中心", "时代广场", "商务中心",
};

struct bin {
	const char *prefix;
	int len;  /* total digits, check digit included */
};

static const struct bin card_bins[] = {
	{"622848", 19}, {"622202", 19}, {"621700", 19}, {"623668", 19}, {"621785", 19},
	{"622262", 19}, {"621799", 19}, {"622700", 19}, {"621226", 19}, {"622588", 16},
	{"621483", 16}, {"436742", 16}, {"625965", 16}, {"622609", 16},
};

struct weighted_str {
	const char *s;
	uint32_t w;  /* percent */
};

static const struct weighted_str mail_domains[] = {
	{"qq.com", 28}, {"163.com", 20}, {"126.com", 10}, {"gmail.com", 8},
	{"outlook.com", 6}, {"sina.com", 5}, {"foxmail.com", 4}, {"hotmail.com", 3},
	{"sohu.com", 2}, {"aliyun.com", 2}, {"139.com", 2}, {NULL, 10}, /* NULL: company */
};

static const char *const company_domains[] = {
	"hengtai-wuliu.cn", "xinda-tech.com.cn", "jinhe-trade.com", "huaxia-zhizao.cn",
	"tianrun-group.cn", "boyuan-soft.com", "minghui-food.cn", "ruifeng-auto.com.cn",
};

static const char *const nicknames[] = {
	"sunny", "lucky", "tony", "kevin", "amy", "lily", "jack", "coco", "leo", "vivian",
	"eric", "cindy", "david", "grace", "alex", "nancy", "peter", "helen", "tom", "emma",
};

/* Fragments of free text for preferences; some carry ASCII commas and double quotes. */
static const char *const pref_fragments[] = {
	"偏好周末送货",
	"工作日请在18:00以后联系",
	"请勿在中午12点至14点来电",
	"喜欢\"极简\"风格的包装",
	"对坚果过敏",
	"需要开具增值税专用发票",
	"发票抬头同公司名称",
	"快递请放门卫室",
	"送货前请先电话联系",
	"只接受顺丰快递",
	"不要发送营销短信",
	"偏好电子发票",
	"关注新品，希望第一时间收到通知",
	"老客户，优先安排发货",
	"VIP客户, 享受九五折",
	"备注：\"周末勿扰\"",
	"常购：茶叶、咖啡、坚果",
	"家中有老人，请轻放",
	"希望使用环保包装",
	"曾投诉物流延误，需重点跟进",
	"喜欢红色系，尺码L",
	"尺码：上衣M, 裤子30",
	"会员等级：金卡",
	"生日当月赠送优惠券",
	"联系人为其配偶",
	"地址为公司地址，节假日不收货",
	"请勿放在快递柜",
	"喜欢\"手写贺卡\"",
	"偏好微信沟通",
	"不接受电话回访",
	"需要英文发票, 抬头见合同",
	"月结客户，账期30天",
	"对价格敏感，关注促销活动",
	"素食者",
	"宠物用品常客",
	"上次反馈：包装破损，已补发",
	"只在工作日收货",
	"大件商品需送货上楼",
	"希望合并发货以减少包装",
	"客户原话：\"上次的很好用, 再来两箱\"",
};

static const char *const pref_separators[] = {"，", "；", "。", ", ", "\n"};

/* Alphabet of unified social credit codes (GB 32100): no I, O, S, V, Z. */
static const char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/* Cumulative surname weights for gen_name; call once at start. */
static void tables_init(void)
{
	uint32_t c = 0;
	for (size_t i = 0; i < NELEM(surnames); i++) {
		c += surnames[i].w;
		surname_cum[i] = c;
	}
}

/* ---------------------------------------------------------------------------------------
 * One record. Every text buffer is sized for the longest value the tables can produce. */

struct record {
	uint64_t no;            /* customer number */
	char name[48];
	char phone[64];         /* longest: 11 full-width digits and two hyphens */
	char phone11[12];       /* the bare digits */
	char id[19];
	char email[96];
	char address[256];
	char card[20];
	char uscc[19];
	char contract[20];
	char amount[16];
	char lod[16];           /* last_order_date */
	char prefs[512];
	char created[32];
	int consent;
	int has_email, has_card, has_uscc, has_contract;
	int pref_newlines;      /* line breaks inside prefs */
	/* working values */
	const char *sur_py;
	char given_py[24];
	char given_ini[3];
	int birth_year;
	int32_t lod_day;
};

struct gen {
	uint64_t seed;
	int canonical;
	struct perm id_perm;     /* customer number -> (area, birth date, sequence) */
	struct perm phone_perm;  /* customer number -> (prefix, 8 digits) */
	int32_t birth_lo, birth_days;
	int32_t created_lo, lod_lo, lod_hi;
};

/* Date bounds and the two keyed permutations of a run (after date_init). The ID domain
 * (areas x birth days x 999 sequences) and the phone domain (prefixes x 10^8) both exceed
 * PVGEN_MAX_NO, so every customer number gets its own ID number and phone number. */
static void gen_init(struct gen *g, uint64_t seed, int canonical)
{
	g->seed = seed;
	g->canonical = canonical;
	g->birth_lo = day_no(1950, 1, 1);
	g->birth_days = day_no(2005, 12, 31) - g->birth_lo + 1;
	g->created_lo = day_no(2012, 1, 1);
	g->lod_lo = day_no(2015, 1, 1);
	g->lod_hi = day_no(2026, 10, 31);
	perm_init(&g->id_perm, (uint64_t)NELEM(areas) * (uint64_t)g->birth_days * 999u, seed,
		  0x1d);
	perm_init(&g->phone_perm, (uint64_t)NELEM(phone_prefixes) * 100000000u, seed, 0x9f);
}

/* A given-name character: neutral in 40%, else one for the sex. */
static const struct given *pick_given(struct rng *r, int male)
{
	if (rng_pct(r, 40))
		return &given_neutral[rng_below(r, NELEM(given_neutral))];
	if (male)
		return &given_male[rng_below(r, NELEM(given_male))];
	return &given_female[rng_below(r, NELEM(given_female))];
}

/* Name: a weighted surname and one or two given-name characters matching the sex of the
 * ID number; about 3% in Latin script ("Zhao Wei"). Keeps the pinyin for the e-mail. */
static void gen_name(struct record *w, struct rng *r, int male)
{
	uint32_t x = rng_below(r, surname_cum[NELEM(surnames) - 1]);
	size_t lo = 0, hi = NELEM(surnames) - 1;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (surname_cum[mid] > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	const struct surname *s = &surnames[lo];
	const struct given *g1 = pick_given(r, male);
	const struct given *g2 = rng_pct(r, 70) ? pick_given(r, male) : NULL;
	int latin = rng_pct(r, 3);

	char *p = put_s(w->given_py, g1->py);
	if (g2)
		p = put_s(p, g2->py);
	*p = '\0';
	w->sur_py = s->py;
	w->given_ini[0] = g1->py[0];
	w->given_ini[1] = g2 ? g2->py[0] : '\0';
	w->given_ini[2] = '\0';

	if (latin) {
		p = put_cap(w->name, s->py);
		*p++ = ' ';
		p = put_cap(p, w->given_py);
	} else {
		p = put_s(w->name, s->han);
		p = put_s(p, g1->han);
		if (g2)
			p = put_s(p, g2->han);
	}
	*p = '\0';
}

/* Resident ID number from the record's unique slot: area code, birth date, sequence and
 * the GB 11643 check character. Returns the area index; sets *male from the sequence. */
static size_t gen_id(const struct gen *g, struct record *w, int *male)
{
	uint64_t x = perm_apply(&g->id_perm, w->no);
	uint32_t seq = (uint32_t)(x % 999u) + 1u;
	x /= 999u;
	int32_t bday = g->birth_lo + (int32_t)(x % (uint64_t)g->birth_days);
	size_t area = (size_t)(x / (uint64_t)g->birth_days);
	int y, m, d;
	day_date(bday, &y, &m, &d);

	char *p = put_s(w->id, areas[area].code);
	p = put_dec(p, (uint64_t)y, 4);
	p = put_dec(p, (uint64_t)m, 2);
	p = put_dec(p, (uint64_t)d, 2);
	p = put_dec(p, seq, 3);
	*p = '\0';
	char c = pv_resident_id_check_char(w->id);
	if (!c) {
		fprintf(stderr, "pvgen: internal error: no check character for an ID number\n");
		exit(1);
	}
	p[0] = c;
	p[1] = '\0';
	*male = (int)(seq & 1u);
	w->birth_year = y;
	return area;
}

/* digits[0..n) at d, as ASCII or full-width (U+FF10..U+FF19) digits. */
static char *put_phone_digits(char *d, const char *digits, size_t n, int fullwidth)
{
	for (size_t i = 0; i < n; i++) {
		if (fullwidth) {
			*d++ = (char)0xEF;
			*d++ = (char)0xBC;
			*d++ = (char)(0x90 + (digits[i] - '0'));
		} else {
			*d++ = digits[i];
		}
	}
	return d;
}

/* 11 digits grouped 3-4-4 with sep, or ungrouped if sep is 0. */
static char *put_phone_grouped(char *d, const char *digits, char sep, int fullwidth)
{
	if (!sep)
		return put_phone_digits(d, digits, 11, fullwidth);
	d = put_phone_digits(d, digits, 3, fullwidth);
	*d++ = sep;
	d = put_phone_digits(d, digits + 3, 4, fullwidth);
	*d++ = sep;
	return put_phone_digits(d, digits + 7, 4, fullwidth);
}

/* Phone number from the record's unique slot, in one of several everyday spellings, or
 * always E.164 when canonical. The format is drawn either way so that the other fields do
 * not depend on --canonical. */
static void gen_phone(const struct gen *g, struct record *w, struct rng *r)
{
	uint64_t x = perm_apply(&g->phone_perm, w->no);
	put_dec(w->phone11, phone_prefixes[x / 100000000u], 3);
	put_dec(w->phone11 + 3, x % 100000000u, 8);
	w->phone11[11] = '\0';

	uint32_t f = rng_below(r, 100);
	char *p = w->phone;
	if (g->canonical) {
		p = put_s(p, "+86");
		p = put_phone_grouped(p, w->phone11, 0, 0);
	} else if (f < 40) {
		p = put_phone_grouped(p, w->phone11, 0, 0);            /* 13812345678 */
	} else if (f < 55) {
		p = put_s(p, "+86 ");
		p = put_phone_grouped(p, w->phone11, ' ', 0);          /* +86 138 1234 5678 */
	} else if (f < 70) {
		p = put_phone_grouped(p, w->phone11, '-', 0);          /* 138-1234-5678 */
	} else if (f < 86) {
		p = put_s(p, "+86");
		p = put_phone_grouped(p, w->phone11, 0, 0);            /* +8613812345678 */
	} else if (f < 92) {
		p = put_phone_grouped(p, w->phone11, ' ', 0);          /* 138 1234 5678 */
	} else if (f < 97) {
		p = put_phone_grouped(p, w->phone11, 0, 1);            /* full-width */
	} else {
		p = put_phone_grouped(p, w->phone11, '-', 1);          /* full-width, hyphens */
	}
	*p = '\0';
}

/* E-mail (absent in about 10%): pinyin, initials, nickname, QQ number or random local
 * parts at common providers or a company domain. */
static void gen_email(struct record *w, struct rng *r)
{
	static const char alnum[] = "abcdefghijkmnpqrstuvwxyz23456789";
	w->has_email = rng_pct(r, 90);
	uint32_t style = rng_below(r, 100);
	uint32_t dw = rng_below(r, 100);
	const char *domain = NULL;
	for (size_t i = 0; i < NELEM(mail_domains); i++) {
		if (dw < mail_domains[i].w) {
			domain = mail_domains[i].s;
			if (!domain)
				domain = company_domains[rng_below(r, NELEM(company_domains))];
			break;
		}
		dw -= mail_domains[i].w;
	}

	char *p = w->email;
	if (style < 35) {                       /* zhangwei, zhangwei1988, zhangwei_66 */
		p = put_s(p, w->sur_py);
		p = put_s(p, w->given_py);
		uint32_t t = rng_below(r, 4);
		if (t == 1) {
			p = put_dec(p, (uint64_t)w->birth_year, 4);
		} else if (t == 2) {
			*p++ = '_';
			p = put_u(p, rng_below(r, 100));
		} else if (t == 3) {
			p = put_u(p, rng_range(r, 1, 9999));
		}
	} else if (style < 43) {                /* wei.zhang */
		p = put_s(p, w->given_py);
		*p++ = '.';
		p = put_s(p, w->sur_py);
	} else if (style < 55) {                /* zw1988, zhangw88 */
		if (rng_pct(r, 50)) {
			*p++ = w->sur_py[0];
			p = put_s(p, w->given_ini);
			p = put_dec(p, (uint64_t)w->birth_year, 4);
		} else {
			p = put_s(p, w->sur_py);
			p = put_s(p, w->given_ini);
			p = put_dec(p, (uint64_t)w->birth_year % 100u, 2);
		}
	} else if (style < 70) {                /* QQ number */
		int len = rng_range(r, 6, 10);
		*p++ = (char)('1' + rng_below(r, 9));
		for (int i = 1; i < len; i++)
			*p++ = (char)('0' + rng_below(r, 10));
		domain = rng_pct(r, 85) ? "qq.com" : "foxmail.com";
	} else if (style < 85) {                /* random */
		int len = rng_range(r, 6, 10);
		*p++ = (char)('a' + rng_below(r, 26));
		for (int i = 1; i < len; i++)
			*p++ = alnum[rng_below(r, sizeof alnum - 1)];
	} else {                                /* sunny_zhang, sunny.zhang88 */
		p = put_s(p, nicknames[rng_below(r, NELEM(nicknames))]);
		*p++ = rng_pct(r, 50) ? '_' : '.';
		p = put_s(p, w->sur_py);
		if (rng_pct(r, 50))
			p = put_u(p, rng_range(r, 1, 99));
	}
	*p++ = '@';
	p = put_s(p, domain);
	*p = '\0';
}

/* Street address in the given area: "广东省深圳市南山区科技园路12号3栋501" and kin. */
static void gen_address(struct record *w, struct rng *r, const struct area *a)
{
	char *p = put_s(w->address, a->prov);
	p = put_s(p, a->city);
	p = put_s(p, a->dist);
	p = put_s(p, streets[rng_below(r, NELEM(streets))]);
	p = put_u(p, rng_pct(r, 70) ? (uint32_t)rng_range(r, 1, 200) : (uint32_t)rng_range(r, 1, 999));
	uint32_t t = rng_below(r, 100);
	uint32_t floor = (uint32_t)rng_range(r, 1, 32);
	uint32_t room = floor * 100u + (uint32_t)rng_range(r, 1, 8);
	uint32_t bld = (uint32_t)rng_range(r, 1, 30);
	if (t < 40) {
		p = put_s(p, "号");
		p = put_u(p, bld);
		p = put_s(p, "栋");
		p = put_u(p, room);
	} else if (t < 70) {
		p = put_s(p, "号");
		p = put_s(p, communities[rng_below(r, NELEM(communities))]);
		p = put_u(p, bld);
		p = put_s(p, "号楼");
		p = put_u(p, (uint32_t)rng_range(r, 1, 6));
		p = put_s(p, "单元");
		p = put_u(p, room);
		p = put_s(p, "室");
	} else if (t < 85) {
		p = put_s(p, "号");
		p = put_s(p, office_buildings[rng_below(r, NELEM(office_buildings))]);
		p = put_u(p, floor);
		p = put_s(p, "层");
		p = put_u(p, room);
	} else {
		p = put_s(p, "弄");
		p = put_u(p, bld);
		p = put_s(p, "号");
		p = put_u(p, room);
		p = put_s(p, "室");
	}
	*p = '\0';
}

/* Bank card (absent in about 5%): a BIN, random digits and the Luhn check digit. The
 * digits are drawn even when absent, so --bad-every can always corrupt one. */
static void gen_card(struct record *w, struct rng *r)
{
	w->has_card = rng_pct(r, 95);
	const struct bin *b = &card_bins[rng_below(r, NELEM(card_bins))];
	char *p = put_s(w->card, b->prefix);
	size_t n = (size_t)b->len - 1;
	while ((size_t)(p - w->card) < n)
		*p++ = (char)('0' + rng_below(r, 10));
	char c = pv_luhn_check_digit(w->card, n);
	if (!c) {
		fprintf(stderr, "pvgen: internal error: no Luhn check digit\n");
		exit(1);
	}
	*p++ = c;
	*p = '\0';
}

/* Unified social credit code of an enterprise (present in about 40%): "91", an area code,
 * a 9-character organisation code (new style "MA..." or 8 digits and a character) and
 * the GB 32100 check character. Drawn even when absent, as for the card. */
static void gen_uscc(struct record *w, struct rng *r, size_t home_area)
{
	w->has_uscc = rng_pct(r, 40);
	size_t area = rng_pct(r, 50) ? home_area : rng_below(r, NELEM(areas));
	char *p = put_s(w->uscc, "91");
	p = put_s(p, areas[area].code);
	if (rng_pct(r, 60)) {
		*p++ = 'M';
		*p++ = 'A';
		for (int i = 0; i < 7; i++)
			*p++ = uscc_alphabet[rng_below(r, sizeof uscc_alphabet - 1)];
	} else {
		*p++ = (char)('1' + rng_below(r, 9));
		for (int i = 0; i < 7; i++)
			*p++ = (char)('0' + rng_below(r, 10));
		*p++ = uscc_alphabet[rng_below(r, sizeof uscc_alphabet - 1)];
	}
	*p = '\0';
	char c = pv_uscc_check_char(w->uscc);
	if (!c) {
		fprintf(stderr, "pvgen: internal error: no USCC check character\n");
		exit(1);
	}
	p[0] = c;
	p[1] = '\0';
}

/* created_at, last_order_date and contract_no. created_at falls on a day before
 * last_order_date (so it is never after it in any time zone), not before the customer
 * turned 18 and not before 2012; last_order_date is in 2015-01-01..2026-10-31. */
static void gen_dates(const struct gen *g, struct record *w, struct rng *r, const char *id)
{
	int by = (id[6] - '0') * 1000 + (id[7] - '0') * 100 + (id[8] - '0') * 10 + (id[9] - '0');
	int bm = (id[10] - '0') * 10 + (id[11] - '0');
	int bd = (id[12] - '0') * 10 + (id[13] - '0');
	if (bm == 2 && bd == 29 && !is_leap(by + 18))
		bd = 28;
	int32_t adult = day_no(by + 18, bm, bd);
	int32_t clo = adult > g->created_lo ? adult : g->created_lo;
	int32_t created = rng_range(r, clo, g->lod_hi - 1);
	int32_t llo = created + 1 > g->lod_lo ? created + 1 : g->lod_lo;
	w->lod_day = rng_range(r, llo, g->lod_hi);
	*put_date(w->lod, w->lod_day) = '\0';

	uint32_t hour = rng_pct(r, 90) ? (uint32_t)rng_range(r, 8, 22) : rng_below(r, 24);
	char *p = put_date(w->created, created);
	*p++ = 'T';
	p = put_dec(p, hour, 2);
	*p++ = ':';
	p = put_dec(p, rng_below(r, 60), 2);
	*p++ = ':';
	p = put_dec(p, rng_below(r, 60), 2);
	p = put_s(p, "+08:00");
	*p = '\0';

	int cy, ly, m, d;
	day_date(created, &cy, &m, &d);
	day_date(w->lod_day, &ly, &m, &d);
	w->has_contract = rng_pct(r, 75);
	p = put_s(w->contract, "HT-");
	p = put_dec(p, (uint64_t)rng_range(r, cy, ly), 4);
	*p++ = '-';
	p = put_dec(p, (uint64_t)rng_range(r, 1, 999999), 6);
	*p = '\0';
}

/* Amount of the last order in cents, 0.01..200000.00, most of it below 5000 yuan; written
 * from integers as "1234.50". */
static void gen_amount(struct record *w, struct rng *r)
{
	uint32_t b = rng_below(r, 100);
	int32_t cents;
	if (b < 3)
		cents = rng_range(r, 1, 99);
	else if (b < 40)
		cents = rng_range(r, 100, 50000);
	else if (b < 75)
		cents = rng_range(r, 50001, 500000);
	else if (b < 95)
		cents = rng_range(r, 500001, 5000000);
	else
		cents = rng_range(r, 5000001, 20000000);
	if (cents >= 100 && rng_pct(r, 25))
		cents -= cents % 100;
	char *p = put_u(w->amount, (uint64_t)cents / 100u);
	*p++ = '.';
	p = put_dec(p, (uint64_t)cents % 100u, 2);
	*p = '\0';
}

/* Preferences (empty in about 15%): one to three distinct fragments joined by Chinese or
 * ASCII punctuation or a line break. */
static void gen_prefs(struct record *w, struct rng *r)
{
	char *p = w->prefs;
	w->pref_newlines = 0;
	if (rng_pct(r, 15)) {
		*p = '\0';
		return;
	}
	uint32_t k = rng_below(r, 100);
	int n = k < 50 ? 1 : k < 85 ? 2 : 3;
	uint32_t used[3];
	for (int i = 0; i < n; i++) {
		uint32_t f;
		int again;
		do {
			f = rng_below(r, NELEM(pref_fragments));
			again = 0;
			for (int j = 0; j < i; j++)
				again |= used[j] == f;
		} while (again);
		used[i] = f;
		if (i) {
			uint32_t s = rng_below(r, 100);
			const char *sep = pref_separators[s < 35 ? 0 : s < 55 ? 1 : s < 70 ? 2 : s < 85 ? 3 : 4];
			if (sep[0] == '\n')
				w->pref_newlines++;
			p = put_s(p, sep);
		}
		p = put_s(p, pref_fragments[f]);
	}
	*p = '\0';
}

/* Fill *w with record number no; depends only on the seed, no and --canonical. */
static void gen_record(const struct gen *g, struct record *w, uint64_t no)
{
	struct rng r;
	int male;
	rng_seed(&r, g->seed, no);
	w->no = no;
	size_t area = gen_id(g, w, &male);
	gen_name(w, &r, male);
	gen_phone(g, w, &r);
	gen_email(w, &r);
	gen_address(w, &r, &areas[area]);
	gen_card(w, &r);
	gen_uscc(w, &r, area);
	gen_dates(g, w, &r, w->id);
	gen_amount(w, &r);
	gen_prefs(w, &r);
	w->consent = rng_pct(&r, 45);
}

enum bad_kind { BAD_ID, BAD_LUHN, BAD_PHONE, BAD_DATE, BAD_USCC, BAD_KINDS };

static const char *bad_kind_text(enum bad_kind k)
{
	switch (k) {
	case BAD_ID: return "id_number: wrong check character";
	case BAD_LUHN: return "bank_card: wrong Luhn digit";
	case BAD_PHONE: return "phone: 10 digits";
	case BAD_DATE: return "last_order_date: impossible date";
	case BAD_USCC: return "company_uscc: wrong check character";
	case BAD_KINDS: break;
	}
	return "?";
}

/* Give w one invalid value: the n-th invalid record of the run (n from 0) gets kind
 * n mod BAD_KINDS. Draws no random numbers. */
static enum bad_kind make_bad(const struct gen *g, struct record *w, uint64_t n)
{
	static const char idc[] = "0123456789X";
	static const char *const impossible[] = {"02-30", "04-31", "02-31", "06-31", "13-05",
						 "09-31", "00-12", "11-31", "02-29"};
	enum bad_kind k = (enum bad_kind)(n % BAD_KINDS);
	char *p;
	switch (k) {
	case BAD_ID:
		w->id[17] = idc[(size_t)(strchr(idc, w->id[17]) - idc + 1) % 11];
		break;
	case BAD_LUHN: {
		size_t len = strlen(w->card);
		w->card[len - 1] = (char)('0' + (w->card[len - 1] - '0' + 1) % 10);
		w->has_card = 1;
		break;
	}
	case BAD_PHONE:
		p = w->phone;
		if (g->canonical)
			p = put_s(p, "+86");
		memcpy(p, w->phone11, 10);
		p[10] = '\0';
		break;
	case BAD_DATE: {
		int y, m, d;
		const char *md = impossible[(n / BAD_KINDS) % NELEM(impossible)];
		day_date(w->lod_day, &y, &m, &d);
		if (md[1] == '2' && md[4] == '9' && is_leap(y))
			y--;  /* 02-29 only in a year that is not a leap year */
		p = put_dec(w->lod, (uint64_t)y, 4);
		*p++ = '-';
		memcpy(p, md, 6);
		break;
	}
	case BAD_USCC: {
		const char *q = strchr(uscc_alphabet, w->uscc[17]);
		w->uscc[17] = uscc_alphabet[(size_t)(q - uscc_alphabet + 1) % (sizeof uscc_alphabet - 1)];
		w->has_uscc = 1;
		break;
	}
	case BAD_KINDS:
		break;
	}
	return k;
}

/* ---------------------------------------------------------------------------------------
 * Output: one big buffer written with fwrite. A record never exceeds ROW_MAX bytes. */

#define OBUF_CAP (1u << 20)
#define ROW_MAX 4096u

static char obuf[OBUF_CAP];
static size_t olen;
static FILE *ofp;
static const char *oname = "standard output";

/* Write out the buffer; on failure report and exit with status 1. */
static void out_flush(void)
{
	if (olen && fwrite(obuf, 1, olen, ofp) != olen) {
		fprintf(stderr, "pvgen: cannot write to %s: %s\n", oname, strerror(errno));
		exit(1);
	}
	olen = 0;
}

static void out_raw(const char *s, size_t n)
{
	memcpy(obuf + olen, s, n);
	olen += n;
}

static void out_str(const char *s)
{
	out_raw(s, strlen(s));
}

/* One CSV field per RFC 4180: quoted if it holds a comma, quote, CR or LF, with embedded
 * quotes doubled. A comma precedes every field but the first. */
static void out_field(const char *s, int first)
{
	if (!first)
		obuf[olen++] = ',';
	size_t n = strcspn(s, ",\"\r\n");
	if (!s[n]) {
		out_raw(s, n);
		return;
	}
	obuf[olen++] = '"';
	for (; *s; s++) {
		if (*s == '"')
			obuf[olen++] = '"';
		obuf[olen++] = *s;
	}
	obuf[olen++] = '"';
}

/* One CSV record, CRLF-terminated, into the buffer (the caller keeps ROW_MAX free). */
static void out_record(const struct record *w)
{
	char cid[10];
	cid[0] = 'C';
	put_dec(cid + 1, w->no, 8);
	cid[9] = '\0';
	out_field(cid, 1);
	out_field(w->name, 0);
	out_field(w->phone, 0);
	out_field(w->id, 0);
	out_field(w->has_email ? w->email : "", 0);
	out_field(w->address, 0);
	out_field(w->has_card ? w->card : "", 0);
	out_field(w->has_uscc ? w->uscc : "", 0);
	out_field(w->has_contract ? w->contract : "", 0);
	out_field(w->amount, 0);
	out_field(w->lod, 0);
	out_field(w->prefs, 0);
	out_field(w->created, 0);
	out_field(w->consent ? "yes" : "no", 0);
	out_raw("\r\n", 2);
}

/* ---------------------------------------------------------------------------------------
 * Command line. */

/* Report a usage error (fmt has one %s, filled with arg) and exit with status 2. */
static void usage_error(const char *fmt, const char *arg)
{
	fputs("pvgen: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\n(pvgen --help for usage)\n", stderr);
	exit(2);
}

/* Parse a whole decimal or 0x-hexadecimal unsigned number; 0 on success, -1 if s is not
 * one or does not fit 64 bits. */
static int parse_u64(const char *s, uint64_t *out)
{
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!(base == 16 ? isxdigit((unsigned char)s[0]) : isdigit((unsigned char)s[0])))
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/* If argv[*i] is option sopt (may be NULL) or lopt, store its value in *val (from
 * "-nVALUE", "--opt=VALUE" or the next argument, advancing *i) and return 1; else 0. */
static int take_opt(int argc, char **argv, int *i, const char *sopt, const char *lopt,
		    const char **val)
{
	const char *a = argv[*i];
	size_t ln = strlen(lopt);
	if (sopt && strncmp(a, sopt, 2) == 0 && a[2]) {
		*val = a + 2;
		return 1;
	}
	if ((sopt && strcmp(a, sopt) == 0) || strcmp(a, lopt) == 0) {
		if (*i + 1 >= argc)
			usage_error("option %s needs a value", a);
		*val = argv[++*i];
		return 1;
	}
	if (strncmp(a, lopt, ln) == 0 && a[ln] == '=') {
		*val = a + ln + 1;
		return 1;
	}
	return 0;
}

/* The value of a numeric option, or a usage error naming opt. */
static uint64_t number_arg(const char *opt, const char *val)
{
	uint64_t v;
	if (parse_u64(val, &v) != 0)
		usage_error("%s wants a non-negative whole number", opt);
	return v;
}

int main(int argc, char **argv)
{
	uint64_t count = 1000, seed = 1, start = 1, bad_every = 0;
	int canonical = 0, verbose = 0;
	const char *path = NULL, *val;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(pvgen_usage, stdout);
			return 0;
		} else if (strcmp(a, "--canonical") == 0) {
			canonical = 1;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			verbose = 1;
		} else if (take_opt(argc, argv, &i, "-n", "--count", &val)) {
			count = number_arg("-n", val);
		} else if (take_opt(argc, argv, &i, NULL, "--seed", &val)) {
			seed = number_arg("--seed", val);
		} else if (take_opt(argc, argv, &i, NULL, "--start", &val)) {
			start = number_arg("--start", val);
		} else if (take_opt(argc, argv, &i, NULL, "--bad-every", &val)) {
			bad_every = number_arg("--bad-every", val);
			if (bad_every == 0)
				usage_error("%s must be at least 1", "--bad-every");
		} else if (take_opt(argc, argv, &i, "-o", "--output", &val)) {
			path = val;
		} else {
			usage_error("unknown argument '%s'", a);
		}
	}
	if (start < 1 || start > PVGEN_MAX_NO)
		usage_error("--start must be 1..%s", "99999999");
	if (count > PVGEN_MAX_NO - start + 1)
		usage_error("customer numbers would pass %s (lower -n or --start)", "99999999");

	if (path) {
		ofp = fopen(path, "wb");
		if (!ofp) {
			fprintf(stderr, "pvgen: cannot open %s: %s\n", path, strerror(errno));
			return 1;
		}
		oname = path;
	} else {
		ofp = stdout;
	}

	date_init();
	tables_init();
	static struct gen g;
	gen_init(&g, seed, canonical);

	out_str("customer_id,name,phone,id_number,email,address,bank_card,company_uscc,"
		"contract_no,last_order_amount,last_order_date,preferences,created_at,"
		"consent_marketing\r\n");

	struct record w;
	uint64_t nbad = 0, line = 2;
	for (uint64_t i = 0; i < count; i++) {
		gen_record(&g, &w, start + i);
		if (bad_every && (i + 1) % bad_every == 0) {
			enum bad_kind k = make_bad(&g, &w, nbad++);
			if (verbose)
				fprintf(stderr, "pvgen: record %llu (C%08llu, line %llu): %s\n",
					(unsigned long long)(i + 1), (unsigned long long)w.no,
					(unsigned long long)line, bad_kind_text(k));
		}
		line += 1u + (uint64_t)w.pref_newlines;
		if (OBUF_CAP - olen < ROW_MAX)
			out_flush();
		out_record(&w);
	}
	out_flush();
	if (fflush(ofp) != 0 || ferror(ofp) || (path && fclose(ofp) != 0)) {
		fprintf(stderr, "pvgen: cannot write to %s: %s\n", oname, strerror(errno));
		return 1;
	}
	if (verbose)
		fprintf(stderr, "pvgen: %llu records (%llu with an invalid value), seed %llu, "
			"from C%08llu\n", (unsigned long long)count, (unsigned long long)nbad,
			(unsigned long long)seed, (unsigned long long)start);
	return 0;
}
