"""Regenerate stations.json and jobs.json (deterministic, seeded).

    .venv/bin/python assets/demo/generate.py          # rewrite the JSON next to this file
    .venv/bin/python assets/demo/generate.py --check  # exit 1 if the JSON is out of date

Everything here is fictional: the two counties, towns, streets, employers, contacts. Phone
numbers use the 139-0000-xxxx block or 0551-6xxxxxxx landlines, as the project agreed for demo
data. policies.json is written by hand and is not touched by this script.

Stdlib only, so the central server (which must not import `kiosk`) can reuse the output as is.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 20261123
EARTH_RADIUS_KM = 6371.0088


# --------------------------------------------------------------------------- geography


@dataclass(frozen=True)
class District:
    name: str
    bearing_deg: float  # from the county's park station
    distance_km: float
    spread_km: float
    streets: tuple[str, ...]
    stops: tuple[str, ...]  # bus stops / landmarks used in directions
    rural: bool = False


@dataclass(frozen=True)
class County:
    code: str
    prefix: str  # job id prefix
    name: str
    name_en: str
    park: tuple[float, float]
    districts: tuple[District, ...]
    brands: tuple[str, ...]
    compounds: tuple[str, ...]  # residential compounds / sites for home-service jobs
    bus_routes: tuple[int, ...]
    max_km: float


QINGHE = County(
    code="qinghe",
    prefix="qh",
    name="青禾县",
    name_en="Qinghe County",
    park=(31.3021, 117.2468),
    districts=(
        District("青禾街道", 0, 1.2, 0.8, ("人民路", "青禾大道", "文昌路", "鼓楼街", "府前街"),
                 ("人民公园", "县医院", "鼓楼", "县政府")),
        District("城东街道", 80, 3.4, 1.3, ("建设路", "东环路", "迎宾大道", "朝阳路"),
                 ("东门菜市场", "城东客运站", "迎宾广场", "第二中学")),
        District("城西街道", 260, 3.0, 1.3, ("解放路", "西城路", "滨河路", "柳荫街"),
                 ("西城小学", "滨河公园", "农贸市场", "解放桥")),
        District("城南街道", 115, 4.6, 1.2, ("南湖路", "学府路", "长江路", "锦绣路"),
                 ("万家汇购物中心", "南湖公园", "职教中心", "体育馆")),
        District("青禾经济开发区", 150, 7.8, 1.8, ("工业大道", "纬一路", "经三路", "物流园路", "兴业路"),
                 ("开发区管委会", "物流园", "标准化厂房", "创业园")),
        District("双桥镇", 20, 9.5, 1.8, ("双桥街", "新街", "桥东路"),
                 ("双桥镇政府", "双桥中学", "双桥集市")),
        District("白塔镇", 300, 13.5, 2.2, ("白塔路", "塔前街", "兴农路"),
                 ("白塔镇卫生院", "白塔村村委会", "白塔集"), rural=True),
        District("河口镇", 200, 18.0, 2.3, ("河口大街", "码头路", "圩堤路"),
                 ("河口镇政府", "河口渡口", "河口粮站"), rural=True),
        District("桃源乡", 60, 21.0, 2.0, ("桃源路", "果园路", "山前路"),
                 ("桃源乡政府", "桃花岭", "桃源小学"), rural=True),
    ),
    brands=("鑫达", "恒泰", "顺通", "金穗", "兴旺", "益民", "安居", "嘉禾", "宏远", "福临",
            "康宁", "永盛", "德润", "佳美", "润丰", "瑞祥", "青禾", "禾丰", "明远", "乐家"),
    compounds=("锦绣花园", "阳光新城", "翰林苑", "桂花园", "滨河湾", "南湖一号", "幸福里",
               "金色家园", "书香门第", "御景华庭", "凤凰城", "东方明珠小区"),
    bus_routes=(1, 2, 3, 5, 6, 8, 9, 11, 12, 15),
    max_km=25.0,
)

LIUTANG = County(
    code="liutang",
    prefix="lt",
    name="柳塘县",
    name_en="Liutang County",
    park=(30.9512, 117.8034),
    districts=(
        District("柳塘街道", 0, 1.0, 0.7, ("柳塘路", "中山街", "荷香路", "文化路"),
                 ("柳塘公园", "县人民医院", "老街口", "县图书馆")),
        District("城北街道", 350, 3.2, 1.2, ("北京路", "北环路", "育才路"),
                 ("城北汽车站", "实验中学", "北门市场")),
        District("城南街道", 140, 3.0, 1.2, ("江南路", "商城路", "金桥路"),
                 ("柳塘天街", "金桥", "南门广场")),
        District("柳塘工业园", 95, 6.5, 1.5, ("园区大道", "创新路", "仓储路"),
                 ("工业园管委会", "电商产业园", "物流中心")),
        District("新河镇", 220, 10.5, 2.0, ("新河街", "河西路", "粮站路"),
                 ("新河镇政府", "新河集", "新河卫生院"), rural=True),
        District("荷花塘镇", 40, 13.0, 2.0, ("荷塘路", "莲花街", "渔场路"),
                 ("荷花塘村委会", "荷塘渔场", "荷花塘小学"), rural=True),
    ),
    brands=("柳塘", "荷香", "新河", "众诚", "信达", "和顺", "金桥", "富民", "长青", "宜佳乐",
            "俊达", "安泰"),
    compounds=("荷香苑", "柳岸名居", "金桥花园", "江南新村", "御河湾", "学府花园", "天街公寓"),
    bus_routes=(1, 2, 3, 4, 6, 7),
    max_km=20.0,
)

COUNTIES = (QINGHE, LIUTANG)


def destination(lat: float, lng: float, bearing_deg: float, km: float) -> tuple[float, float]:
    """Point `km` away from (lat, lng) along a great circle at the given bearing."""
    d = km / EARTH_RADIUS_KM
    b = math.radians(bearing_deg)
    p1, l1 = math.radians(lat), math.radians(lng)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), math.degrees(l2)


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def bounds(county: County) -> dict[str, float]:
    """A box that holds every point within max_km (+ margin) of the park station."""
    lat, lng = county.park
    r = county.max_km + 3.0
    return {
        "south": round(destination(lat, lng, 180, r)[0], 4),
        "north": round(destination(lat, lng, 0, r)[0], 4),
        "west": round(destination(lat, lng, 270, r)[1], 4),
        "east": round(destination(lat, lng, 90, r)[1], 4),
    }


# --------------------------------------------------------------------------- stations


def stations_doc() -> dict[str, Any]:
    qh_mall = destination(*QINGHE.park, 115, 4.0)
    lt_mall = destination(*LIUTANG.park, 140, 3.1)
    return {
        "counties": [
            {
                "code": QINGHE.code,
                "id_prefix": QINGHE.prefix,
                "name": QINGHE.name,
                "name_en": QINGHE.name_en,
                "bounds": bounds(QINGHE),
                "stations": [
                    {
                        "id": "qh-park",
                        "name": "青禾县人民公园零工驿站",
                        "name_en": "Qinghe People's Park Gig Station",
                        "kind": "park",
                        "lat": QINGHE.park[0],
                        "lng": QINGHE.park[1],
                        "address": "青禾县青禾街道人民路88号人民公园东门内",
                        "address_en": "Inside the east gate of People's Park, 88 Renmin Road, Qinghe Subdistrict, Qinghe County",
                    },
                    {
                        "id": "qh-mall",
                        "name": "青禾县万家汇购物中心零工驿站",
                        "name_en": "Qinghe Wanjiahui Mall Gig Station",
                        "kind": "mall",
                        "lat": round(qh_mall[0], 4),
                        "lng": round(qh_mall[1], 4),
                        "address": "青禾县城南街道南湖路66号万家汇购物中心一楼北门服务台旁",
                        "address_en": "By the service desk at the north entrance, 1F, Wanjiahui Mall, 66 Nanhu Road, Chengnan Subdistrict, Qinghe County",
                    },
                ],
                "staff": [
                    {"username": "qh-admin", "role": "admin", "display_name": "青禾县就业服务中心管理员"},
                    {"username": "qh-operator", "role": "operator", "display_name": "青禾县零工市场岗位专员"},
                    {"username": "qh-maint", "role": "maintainer", "display_name": "青禾县驿站设备维护员"},
                ],
            },
            {
                "code": LIUTANG.code,
                "id_prefix": LIUTANG.prefix,
                "name": LIUTANG.name,
                "name_en": LIUTANG.name_en,
                "bounds": bounds(LIUTANG),
                "stations": [
                    {
                        "id": "lt-park",
                        "name": "柳塘县滨湖公园零工驿站",
                        "name_en": "Liutang Lakeside Park Gig Station",
                        "kind": "park",
                        "lat": LIUTANG.park[0],
                        "lng": LIUTANG.park[1],
                        "address": "柳塘县柳塘街道荷香路1号滨湖公园北广场",
                        "address_en": "North plaza of Lakeside Park, 1 Hexiang Road, Liutang Subdistrict, Liutang County",
                    },
                    {
                        "id": "lt-mall",
                        "name": "柳塘县柳塘天街零工驿站",
                        "name_en": "Liutang Tianjie Mall Gig Station",
                        "kind": "mall",
                        "lat": round(lt_mall[0], 4),
                        "lng": round(lt_mall[1], 4),
                        "address": "柳塘县城南街道商城路18号柳塘天街B1层超市入口",
                        "address_en": "Supermarket entrance, B1, Liutang Tianjie Mall, 18 Shangcheng Road, Chengnan Subdistrict, Liutang County",
                    },
                ],
                "staff": [
                    {"username": "lt-admin", "role": "admin", "display_name": "柳塘县就业服务中心管理员"},
                    {"username": "lt-operator", "role": "operator", "display_name": "柳塘县零工市场岗位专员"},
                    {"username": "lt-maint", "role": "maintainer", "display_name": "柳塘县驿站设备维护员"},
                ],
            },
        ]
    }


# --------------------------------------------------------------------------- job templates

# (title, pay_unit, low, high, step). Hourly 18-30, daily 150-350, per piece/order realistic.
Title = tuple[str, str, float, float, float]


@dataclass(frozen=True)
class Category:
    name: str
    titles: tuple[Title, ...]
    employer_kinds: tuple[str, ...]
    settlement: tuple[int, int, int]  # weights daily, weekly, on_completion
    hours: tuple[str, ...]
    duration: tuple[int, int]
    headcount: tuple[int, int]
    ages: tuple[tuple[int, int], ...]
    notes: tuple[str, ...]
    urban_weight: float  # share of jobs in town districts vs. rural ones
    industrial: bool = False  # prefer the development zone / industrial park
    at_homes: bool = False  # work happens at clients' places, away from the employer's office


NIGHT_HOURS = ("22:00-06:00", "21:00-05:00", "20:00-04:00")
EARLY_HOURS = ("05:30-09:30", "06:00-10:00")
# Titles whose work happens in the client's home, so the site is a residential compound.
HOME_WORDS = ("钟点", "保姆", "育儿嫂", "月嫂", "陪护老人", "做饭阿姨", "收纳", "擦玻璃", "居家", "助浴")
# Notes that speak of piece rates only fit piece/order-paid titles.
PIECE_WORDS = ("计件", "按件", "按单", "按筐")

CATEGORIES: tuple[Category, ...] = (
    Category(
        "保洁",
        (
            ("小区保洁员", "day", 150, 170, 10), ("商场夜班保洁", "hour", 20, 24, 1),
            ("写字楼保洁（早班）", "hour", 18, 22, 1), ("新房开荒保洁", "day", 200, 260, 10),
            ("医院保洁员", "day", 150, 180, 10), ("酒店客房清洁员（按间计件）", "piece", 12, 18, 1),
            ("学校保洁员（假期）", "day", 150, 170, 10), ("厂区保洁员", "day", 150, 180, 10),
            ("家庭深度保洁（擦玻璃）", "hour", 25, 30, 1), ("菜市场保洁员", "day", 150, 160, 10),
        ),
        ("物业服务有限公司", "保洁服务有限公司", "环境卫生服务有限公司", "酒店管理有限公司"),
        (6, 3, 1),
        ("06:00-14:00", "07:00-16:00", "08:00-17:00", "14:00-22:00", "07:30-11:30"),
        (1, 30), (1, 8), ((18, 60), (20, 65), (25, 60)),
        ("做事认真细致，有保洁经验优先", "身体健康，能吃苦耐劳", "工具由公司提供，需自备工作鞋",
         "能弯腰登高作业，恐高者勿报"),
        0.9,
    ),
    Category(
        "搬运",
        (
            ("家电搬运装卸工（日结）", "day", 200, 280, 10), ("建材卸货工", "piece", 0.3, 0.6, 0.05),
            ("搬家师傅助手", "day", 220, 300, 10), ("快递车卸货工（夜班）", "hour", 25, 30, 1),
            ("粮库装卸工", "piece", 0.5, 1.0, 0.1), ("超市到货搬运工", "hour", 22, 28, 1),
            ("饮料仓库装车工", "day", 200, 260, 10), ("家具搬运安装助手", "day", 230, 300, 10),
            ("化肥装卸工", "piece", 0.4, 0.8, 0.1), ("水泥卸车工", "piece", 0.5, 0.8, 0.05),
        ),
        ("物流有限公司", "搬家服务部", "建材市场", "粮油贸易有限公司", "商贸有限公司"),
        (8, 1, 1),
        ("08:00-17:00", "07:00-12:00", "13:00-18:00", "08:00-18:00"),
        (1, 20), (2, 15), ((18, 50), (20, 55), (18, 55)),
        ("身体强壮，能扛50斤以上重物", "按件计酬，多劳多得，当天结清", "需自备劳保手套",
         "有货车随车搬运经验者优先"),
        0.75, industrial=True,
    ),
    Category(
        "家政",
        (
            ("钟点工（做饭保洁）", "hour", 25, 30, 1), ("住家保姆", "day", 180, 240, 10),
            ("育儿嫂（白班）", "day", 200, 260, 10), ("月嫂助理", "day", 220, 300, 10),
            ("白天陪护老人保姆", "day", 160, 200, 10), ("家庭做饭阿姨（午晚餐）", "hour", 25, 30, 1),
            ("收纳整理师助理", "hour", 25, 30, 1), ("钟点工（擦玻璃）", "hour", 25, 30, 1),
        ),
        ("家政服务有限公司", "家政服务中心", "巾帼家政服务部"),
        (4, 5, 2),
        ("08:00-12:00", "09:00-11:00", "16:00-19:00", "08:00-18:00", "07:00-19:00"),
        (1, 45), (1, 3), ((25, 55), (30, 60), (22, 55)),
        ("会做家常菜，性格开朗，讲卫生", "有育婴员证或健康证优先", "需提供近期健康体检证明",
         "有家政从业经验者优先，公司提供岗前培训"),
        0.95, at_homes=True,
    ),
    Category(
        "餐饮",
        (
            ("饭店传菜员", "day", 150, 180, 10), ("洗碗工", "hour", 18, 22, 1),
            ("后厨帮工（切配）", "day", 160, 200, 10), ("喜宴服务员（周末）", "day", 150, 200, 10),
            ("早餐店帮工", "hour", 18, 22, 1), ("食堂打菜员", "day", 150, 170, 10),
            ("烧烤店夜班服务员", "hour", 20, 25, 1), ("奶茶店兼职店员", "hour", 18, 22, 1),
            ("面点师傅助手", "day", 170, 210, 10), ("农家乐厨房帮工", "day", 150, 190, 10),
        ),
        ("餐饮管理有限公司", "大酒店", "快餐店", "农家乐", "酒楼", "小吃店"),
        (6, 3, 1),
        ("10:00-14:00", "16:30-21:00", "05:30-10:00", "10:00-20:00", "17:00-23:00"),
        (1, 30), (1, 10), ((18, 50), (18, 55), (18, 45)),
        ("需持健康证，没有的可先上岗再办理", "包工作餐", "有饭店工作经验优先，手脚麻利",
         "周末及节假日可上岗者优先"),
        0.85,
    ),
    Category(
        "安保",
        (
            ("小区夜班保安", "day", 150, 180, 10), ("工地门卫", "day", 150, 170, 10),
            ("商场巡逻保安", "day", 160, 190, 10), ("庙会活动秩序维护员", "hour", 20, 25, 1),
            ("停车场管理员", "day", 150, 170, 10), ("学校门岗保安", "day", 160, 180, 10),
            ("仓库夜间值守", "day", 160, 200, 10), ("展会临时安保", "hour", 22, 28, 1),
        ),
        ("保安服务有限公司", "物业服务有限公司", "安防科技有限公司"),
        (4, 5, 1),
        ("08:00-20:00", "20:00-08:00", "07:00-19:00", "09:00-17:00"),
        (3, 60), (1, 10), ((18, 55), (20, 50), (18, 60)),
        ("身体健康，无违法犯罪记录", "有保安员证优先，无证可协助报名培训", "能适应倒班",
         "退役军人优先"),
        0.85,
    ),
    Category(
        "建筑装修",
        (
            ("建筑小工（日结）", "day", 200, 260, 10), ("瓦工", "day", 300, 350, 10),
            ("木工", "day", 300, 350, 10), ("油漆工", "day", 260, 320, 10),
            ("水电工助手", "day", 200, 250, 10), ("钢筋工", "day", 280, 340, 10),
            ("装修拆旧清运工", "day", 220, 280, 10), ("外墙涂料工", "day", 280, 340, 10),
            ("防水工", "day", 260, 320, 10), ("瓷砖铺贴师傅", "day", 320, 350, 10),
        ),
        ("建筑工程有限公司", "装饰工程有限公司", "建筑劳务有限公司", "家装工作室"),
        (4, 3, 3),
        ("07:00-17:00", "06:30-11:30", "07:30-17:30", "08:00-17:00"),
        (3, 60), (2, 20), ((20, 60), (18, 55), (22, 60)),
        ("需自备劳保鞋，工地提供安全帽", "有相关工种经验者优先，可带工具上门",
         "高处作业需持特种作业证", "能吃苦耐劳，服从现场安排"),
        0.7,
    ),
    Category(
        "快递配送",
        (
            ("快递派件员（按件）", "order", 1.0, 1.6, 0.1), ("外卖骑手（兼职）", "order", 4.0, 6.0, 0.5),
            ("生鲜配送司机助理", "day", 180, 220, 10), ("同城跑腿配送员", "order", 5.0, 8.0, 0.5),
            ("社区团购送货员", "order", 1.5, 3.0, 0.5), ("乡镇快递驿站派件员", "order", 1.0, 1.5, 0.1),
            ("桶装水配送员", "order", 2.0, 4.0, 0.5), ("药店送药员", "order", 4.0, 6.0, 0.5),
        ),
        ("快递服务部", "同城配送服务有限公司", "生鲜配送中心", "桶装水经营部", "供应链有限公司"),
        (4, 5, 1),
        ("08:00-18:00", "10:30-13:30", "16:30-20:30", "07:00-12:00", "09:00-19:00"),
        (3, 60), (2, 12), ((18, 45), (18, 50), (20, 50)),
        ("自备电动车，熟悉本地道路", "会用智能手机导航", "公司提供保温箱和工服",
         "按单计酬，多劳多得，平台可查收入"),
        0.85, industrial=True,
    ),
    Category(
        "促销",
        (
            ("超市试吃促销员", "day", 150, 180, 10), ("家电卖场导购（周末）", "day", 160, 200, 10),
            ("新楼盘派单员", "hour", 18, 22, 1), ("手机卖场促销员", "day", 150, 190, 10),
            ("节日商场地推", "hour", 20, 25, 1), ("品鉴会促销员", "day", 180, 220, 10),
            ("车展引导员", "day", 180, 240, 10), ("开业活动礼仪", "hour", 25, 30, 1),
        ),
        ("商贸有限公司", "超市", "电器商行", "广告传媒有限公司", "文化传播有限公司"),
        (7, 2, 1),
        ("09:00-17:00", "15:00-21:00", "10:00-18:00", "14:00-21:00"),
        (1, 7), (2, 20), ((18, 40), (18, 35), (18, 45)),
        ("普通话标准，形象整洁", "口齿清楚，性格外向", "有促销经验优先，提供产品培训",
         "统一工装，需自备黑色鞋"),
        0.95,
    ),
    Category(
        "农业采摘",
        (
            ("葡萄采摘工", "piece", 8, 12, 1), ("草莓采摘工", "day", 150, 180, 10),
            ("春茶采摘工", "day", 150, 200, 10), ("桃子采摘分拣工", "day", 150, 190, 10),
            ("蔬菜大棚采收工", "day", 150, 170, 10), ("插秧帮工", "day", 180, 220, 10),
            ("西瓜装车工", "piece", 0.1, 0.2, 0.05), ("蓝莓采摘工", "piece", 8, 12, 1),
            ("梨园套袋工", "hour", 18, 22, 1), ("小龙虾捕捞分拣工", "day", 180, 240, 10),
        ),
        ("家庭农场", "农业专业合作社", "生态农业有限公司", "茶叶专业合作社", "果蔬种植基地"),
        (5, 1, 4),
        ("05:30-11:00", "06:00-11:00,14:30-18:00", "07:00-16:00", "06:00-14:00"),
        (3, 30), (3, 30), ((18, 65), (18, 60), (20, 65)),
        ("能吃苦耐劳，包午饭", "按筐计件，每筐约20斤，当天过秤结算", "需自备草帽、雨靴",
         "县城有接送车，早上在集合点上车"),
        0.1,
    ),
    Category(
        "仓储分拣",
        (
            ("电商仓库分拣员", "hour", 18, 23, 1), ("快递分拣员（夜班）", "hour", 22, 26, 1),
            ("仓库打包员", "piece", 0.2, 0.4, 0.05), ("生鲜分拣员", "day", 160, 200, 10),
            ("仓库理货员", "day", 160, 200, 10), ("超市夜班理货员", "hour", 20, 25, 1),
            ("冷库分拣员", "day", 200, 250, 10), ("退货质检员", "hour", 20, 24, 1),
            ("大促临时分拣员", "hour", 22, 28, 1),
        ),
        ("供应链管理有限公司", "电商产业园", "物流有限公司", "冷链物流有限公司", "超市配送中心"),
        (5, 4, 1),
        ("08:00-17:00", "09:00-18:00", "13:00-21:00", "08:30-17:30"),
        (3, 45), (3, 30), ((18, 50), (18, 45), (18, 55)),
        ("视力良好，识字，会用扫码枪（可教）", "能适应站立作业", "包工作餐，夜班有补贴",
         "冷库作业，公司提供防寒服"),
        0.9, industrial=True,
    ),
    Category(
        "养老护理",
        (
            ("养老院护理员", "day", 180, 230, 10), ("居家上门护理员", "hour", 25, 30, 1),
            ("上门助浴员", "hour", 25, 30, 1), ("助餐送餐员", "hour", 18, 22, 1),
            ("护理院夜班护工", "day", 200, 250, 10), ("医院陪护护工", "day", 200, 260, 10),
            ("日间照料中心助理", "day", 150, 180, 10),
        ),
        ("养老服务中心", "颐养院", "居家养老服务站", "护理院", "康养服务有限公司"),
        (3, 5, 2),
        ("08:00-17:00", "07:00-19:00", "19:00-07:00", "10:30-13:00"),
        (7, 60), (1, 6), ((25, 60), (30, 60), (22, 55)),
        ("有爱心耐心，持养老护理员证优先", "无证可参加机构岗前培训", "需持健康证",
         "有照护失能老人经验者优先"),
        0.85, at_homes=True,
    ),
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
TITLES = ("经理", "主管", "师傅", "女士", "先生", "老板", "站长", "阿姨")


# --------------------------------------------------------------------------- job generation


def _pay(rng: random.Random, low: float, high: float, step: float) -> float:
    steps = round((high - low) / step)
    value = low + step * rng.randint(0, steps)
    return round(value, 2)


def _span_hours(hours: str) -> float:
    """Working hours in '08:00-12:00,14:00-18:00' (night shifts wrap past midnight)."""
    total = 0.0
    for part in hours.split(","):
        a, b = (int(x[:2]) * 60 + int(x[3:]) for x in part.split("-"))
        total += ((b - a) % (24 * 60)) / 60
    return total


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        if rng.random() < 0.8:
            number = f"139-0000-{rng.randint(0, 9999):04d}"
        else:
            number = f"0551-6{rng.randint(0, 9999999):07d}"
        if number not in used:
            used.add(number)
            return number


def _pick_district(rng: random.Random, county: County, cat: Category) -> District:
    urban = [d for d in county.districts if not d.rural]
    rural = [d for d in county.districts if d.rural]
    if rng.random() >= cat.urban_weight:
        return rng.choice(rural)
    if cat.industrial and rng.random() < 0.5:
        zone = [d for d in urban if "开发区" in d.name or "工业园" in d.name]
        if zone:
            return zone[0]
    weights = [1.0 / (1.0 + d.distance_km / 3.0) for d in urban]  # town centre busiest
    return rng.choices(urban, weights=weights)[0]


def _place(rng: random.Random, county: County, district: District) -> tuple[float, float]:
    """A point around the district centre, kept within 0.2..max_km of the park station."""
    centre = destination(*county.park, district.bearing_deg, district.distance_km)
    while True:
        pt = destination(*centre, rng.uniform(0, 360), abs(rng.gauss(0, district.spread_km)))
        if 0.2 <= haversine_km(county.park, pt) <= county.max_km:
            return round(pt[0], 5), round(pt[1], 5)


def _site(rng: random.Random, county: County, cat: Category, employer_short: str,
          at_home: bool) -> str:
    if at_home:
        return f"{rng.choice(county.compounds)}{rng.randint(1, 28)}栋"
    suffix = {
        "保洁": ("综合楼", "大厦", "服务中心"),
        "搬运": ("仓库", "货场", "门市部"),
        "餐饮": ("店", "大酒店一楼", "餐厅"),
        "安保": ("项目部", "物业中心", "大门岗亭"),
        "建筑装修": ("项目工地", "施工现场", "工地项目部"),
        "快递配送": ("站点", "分拨点", "营业部"),
        "促销": ("门店", "卖场", "展厅"),
        "农业采摘": ("基地", "园区", "种植区"),
        "仓储分拣": ("仓库", "分拣中心", "配送中心"),
        "养老护理": ("服务中心", "院区", "护理楼"),
        "家政": ("门店", "服务站", "办公室"),
    }[cat.name]
    return f"{employer_short}{rng.choice(suffix)}"


def _directions(rng: random.Random, county: County, district: District, site: str) -> str:
    stop = rng.choice(district.stops)
    walk = rng.choice((100, 150, 200, 300, 400, 500, 600))
    side = rng.choice(("往东", "往西", "往南", "往北", "沿路直行"))
    if district.rural:
        return rng.choice((
            f"县城汽车站乘{district.name}方向班车到{stop}站下车，{side}步行{walk}米",
            f"导航到“{stop}”，{side}{walk}米路边有指示牌",
            f"可在{stop}等候用工方接送车，上车前电话确认时间",
        ))
    route = rng.choice(county.bus_routes)
    return rng.choice((
        f"公交{route}路{stop}站下车，{side}步行{walk}米",
        f"公交{route}路到{stop}站，过马路{side}约{walk}米即到{site}",
        f"从{stop}{side}步行{walk}米，{site}门口有招工牌",
    ))


def _jobs_for(county: County, counts: dict[str, int], rng: random.Random,
              used_phones: set[str]) -> list[dict[str, Any]]:
    jobs: list[dict[str, Any]] = []
    brands = list(county.brands)
    for cat in CATEGORIES:
        # A few employers per category, each posting several jobs: realistic repetition.
        employers = []
        for _ in range(max(2, counts[cat.name] // 3)):
            brand = rng.choice(brands)
            kind = rng.choice(cat.employer_kinds)
            district = _pick_district(rng, county, cat)
            if cat.name in ("家政", "搬运") and rng.random() < 0.15:
                short = f"{rng.choice(SURNAMES)}{rng.choice(('女士', '先生'))}"
                name = f"个人雇主（{short}）"
            elif kind == "家庭农场":
                short = f"{rng.choice(SURNAMES)}氏"
                name = f"{county.name}{district.name}{short}{kind}"
            elif district.rural:
                name = f"{county.name}{district.name}{brand}{kind}"
                short = brand
            else:
                short = brand
                name = f"{county.name}{brand}{kind}"
            contact_name = f"{rng.choice(SURNAMES)}{rng.choice(TITLES)}"
            employers.append((name, short, district, f"{contact_name} {_phone(rng, used_phones)}"))
        titles = list(cat.titles)
        rng.shuffle(titles)
        for i in range(counts[cat.name]):
            name, short, district, contact = rng.choice(employers)
            if cat.at_homes or rng.random() < 0.25:  # work site away from the employer's office
                district = _pick_district(rng, county, cat)
            title, unit, low, high, step = titles[i % len(titles)]
            start_in = rng.choices(range(15), weights=[6, 5, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1])[0]
            duration = 1 if "周末" in title or "活动" in title else rng.randint(*cat.duration)
            settlement = rng.choices(("daily", "weekly", "on_completion"), weights=cat.settlement)[0]
            if "日结" in title or duration == 1:
                settlement = "daily"
            if "夜班" in title:
                hours = rng.choice(NIGHT_HOURS)
            elif "早班" in title:
                hours = rng.choice(EARLY_HOURS)
            elif unit == "hour":  # hourly gigs are short shifts
                hours = rng.choice([h for h in cat.hours if _span_hours(h) <= 8])
            else:
                hours = rng.choice(cat.hours)
            display_title = title
            if start_in == 0 and rng.random() < 0.35:
                display_title = f"急招：{title}"
            elif settlement == "daily" and "（" not in title and rng.random() < 0.3:
                display_title = f"{title}（日结）"
            lat, lng = _place(rng, county, district)
            street = rng.choice(district.streets)
            at_home = name.startswith("个人雇主") or any(w in title for w in HOME_WORDS)
            site = _site(rng, county, cat, short, at_home)
            age_min, age_max = rng.choice(cat.ages)
            piece_notes = [n for n in cat.notes if any(w in n for w in PIECE_WORDS)]
            other_notes = [n for n in cat.notes if n not in piece_notes]
            if unit in ("piece", "order") and piece_notes and rng.random() < 0.6:
                notes = rng.choice(piece_notes)
            else:
                notes = rng.choice(other_notes)
            jobs.append({
                "county": county.code,
                "title": display_title,
                "category": cat.name,
                "employer": name,
                "headcount": rng.randint(*cat.headcount),
                "pay_amount": _pay(rng, low, high, step),
                "pay_unit": unit,
                "settlement": settlement,
                "start_in_days": start_in,
                "duration_days": duration,
                "valid_days": max(start_in + 1, min(30, start_in + rng.randint(2, 20))),
                "daily_hours": hours,
                "address": f"{county.name}{district.name}{street}{rng.randint(1, 399)}号{site}",
                "district": district.name,
                "lat": lat,
                "lng": lng,
                "contact": contact,
                "requirements": {"age_min": age_min, "age_max": age_max, "notes": notes},
                "status": "open",
                "directions": _directions(rng, county, district, site),
            })
    rng.shuffle(jobs)
    for n, job in enumerate(jobs, 1):
        job["id"] = f"{county.prefix}-{n:04d}"
    # A few postings already filled, so the kiosk's "closed" handling has data to show.
    for job in rng.sample(jobs, max(2, len(jobs) // 40)):
        job["status"] = "closed"
    key_order = ("id", "county", "title", "category", "employer", "headcount", "pay_amount", "pay_unit",
                 "settlement", "start_in_days", "duration_days", "valid_days", "daily_hours",
                 "address", "district", "lat", "lng", "contact", "requirements", "status",
                 "directions")
    return [{k: job[k] for k in key_order} for job in sorted(jobs, key=lambda j: j["id"])]


def jobs_doc() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    used_phones: set[str] = set()
    qh_counts = {c.name: 16 for c in CATEGORIES}  # 176
    for name in ("保洁", "搬运", "餐饮", "仓储分拣", "建筑装修", "快递配送"):
        qh_counts[name] += 2  # the busiest county-town trades: 188
    lt_counts = {c.name: 4 for c in CATEGORIES}  # 44
    for name in ("农业采摘", "搬运", "保洁", "建筑装修", "餐饮", "仓储分拣"):
        lt_counts[name] += 1  # 50
    return _jobs_for(QINGHE, qh_counts, rng, used_phones) + _jobs_for(LIUTANG, lt_counts, rng, used_phones)


def build() -> dict[str, Any]:
    """File name -> JSON document, exactly as written to disk."""
    return {"stations.json": stations_doc(), "jobs.json": jobs_doc()}


def dumps(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the JSON is out of date")
    args = parser.parse_args(argv)
    stale = []
    for name, doc in build().items():
        path = HERE / name
        text = dumps(doc)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
