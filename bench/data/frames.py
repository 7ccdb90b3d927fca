"""Sentence frames for make_corpus.py.

Token syntax (resolved in make_corpus.Case.resolve):
  {pat:CASE:FMT} {mot..} {fat..} {sib..} {doc..} {doc2..} {nur..}   person (PERSON)
      CASE = nomn gent datv accs ablt loct (Russian only)
      FMT  = f (Фамилия Имя Отчество), F (upper case), fi, if, ifp, s, si (Фамилия И.О.), is (И.О. Фамилия),
             io, i ; English: fl, fml, l, il, li, LF, F, i, cyr ; * = random
  {g:masc|fem} {gd:..} {gd2:..} {gn:..}  gender agreement with patient / doctor / doctor 2 / nurse
  {d:EVENT:FMT}       DATE; EVENT = dob dx adm cons inj1 inj2 lab ae rep ae2 vis call dis x next
  {city:CASE} {city2:CASE} {region:CASE} {hosp:CASE} {hosp2} {hospcity} {addr} {faddr}      LOCATION
  {phone} {hphone} PHONE ; {email} {hemail} EMAIL ; {url} {hurl} URL
  {snils} {inn12} {inn10} {oms} {pass} {bc} {ib} {amb} {mksb} {mrn} {hospno} {nhs}          ID
  {drug:CASE} {brand:CASE} {inn:CASE} {drugx}  drug names (keep) ; {ep} eponymous disease (keep)
  [[term]]  literal keep term
  {int:a:b} {flt:a:b[:digits]} {lot} {dose} {smn2} {age} {ageyears} {dobyear} {year:EVENT} {smatype}  plain text
Tags restrict a frame: sma as nus zol ris sen child adult ; English locale: uk us ru intl (= not ru).
"""

RU_FRAMES: dict[str, list[tuple[str, str]]] = {
    "h_dis": [
        ("", "ВЫПИСНОЙ ЭПИКРИЗ из медицинской карты стационарного больного № {ib}."),
        ("", "Выписной эпикриз. {hosp:nomn}, психоневрологическое отделение."),
        ("", "Эпикриз. Находил{g:ся|ась} на стационарном лечении с {d:adm} по {d:dis}."),
        ("", "{hosp:nomn}. Отделение неврологии. Выписка из истории болезни № {ib}."),
        (
            "",
            "ФИО: {pat:nomn:F}. Дата рождения: {d:dob:num}. Период госпитализации: {d:adm} – {d:dis}.",
        ),
    ],
    "h_ref": [
        ("", "НАПРАВЛЕНИЕ на госпитализацию в {hosp:accs}."),
        ("", "Направляется {pat:nomn:f}, {dobyear} г.р., для продолжения терапии {drug:ablt}."),
        (
            "sma",
            "В {hosp:accs} направляется {g:пациент|пациентка} {pat:nomn:fi} с диагнозом: спинальная мышечная атрофия.",
        ),
        (
            "as",
            "Направление на консультацию ревматолога. {g:Пациент|Пациентка}: {pat:nomn:f}, {ageyears}.",
        ),
        (
            "",
            "Уважаемые коллеги! Направляем к вам {g:пациента|пациентку} {pat:accs:f}, {d:dob:num} г.р.",
        ),
    ],
    "h_ae": [
        (
            "",
            "ИЗВЕЩЕНИЕ о нежелательной реакции или отсутствии терапевтического эффекта лекарственного препарата от {d:rep}.",
        ),
        ("", "Сообщение о нежелательном явлении. Дата получения информации — {d:rep}."),
        (
            "",
            "Карта-извещение о подозреваемой нежелательной реакции. {g:Пациент|Пациентка}: {pat:nomn:si}, пол {g:мужской|женский}, возраст {age}.",
        ),
        (
            "",
            "Повторное (последующее) сообщение от {d:ae2} к первичному извещению, направленному {d:rep}.",
        ),
    ],
    "h_vis": [
        ("", "Осмотр невролога {d:vis}."),
        ("", "Протокол визита {int:2:9} (день {int:60:420} исследования), дата визита {d:vis}."),
        ("sma", "Консультация врача-генетика от {d:vis}, {hosp:nomn}."),
        ("", "{d:vis}. Плановый амбулаторный приём, {hosp:nomn}, врач {doc:nomn:si}."),
        (
            "as",
            "Осмотр ревматолога {d:vis}. Жалобы на боль в поясничном отделе позвоночника, утреннюю скованность до {pl:30:120:минуты|минут|минут}.",
        ),
    ],
    "h_cons": [
        (
            "",
            "Информированное добровольное согласие на введение препарата {brand:nomn} подписано {d:cons}.",
        ),
        (
            "child",
            "Законный представитель — мать, {mot:nomn:f}, ознакомлена с информацией о препарате {brand:nomn} и подписала согласие {d:cons}.",
        ),
        (
            "adult",
            "{g:Пациент|Пациентка} {pat:nomn:fi} дал{g:|а} письменное согласие на участие в наблюдательном исследовании {d:cons}.",
        ),
        ("", "Согласие на обработку персональных данных получено {d:cons}; копия выдана на руки."),
    ],
    "h_call": [
        (
            "child",
            "Телефонный разговор {d:call}: звонила мама {g:пациента|пациентки} — {mot:nomn:f}.",
        ),
        ("", "{d:call}, {int:9:18}:{int:10:59} — входящий звонок с номера {phone}."),
        (
            "",
            "Запись телефонного контакта от {d:call}. Звонил{gd:|а} {doc:nomn:si}, дежурный врач.",
        ),
        (
            "adult",
            "{d:call} {g:пациент|пациентка} {pat:nomn:s} сообщил{g:|а} по телефону о повышении температуры до {flt:37.5:39.2} °C.",
        ),
    ],
    "h_lab": [
        ("", "Результаты лабораторных исследований от {d:lab}."),
        ("", "Сводка лабораторных показателей, {hosp:nomn}, забор крови {d:lab}."),
        ("", "Лабораторный контроль {pat:gent:si} (и/б № {ib})."),
    ],
    "demo": [
        ("", "Ф.И.О.: {pat:nomn:F}."),
        ("", "{g:Пациент|Пациентка} {pat:nomn:f}, {d:dob:num} г.р."),
        ("", "{pat:nomn:f}, {dobyear} г.р., проживает по адресу: {faddr}."),
        ("", "Дата рождения: {d:dob}. Адрес регистрации: {faddr}."),
        ("", "СНИЛС {snils}, полис ОМС № {oms}."),
        ("", "Полис ОМС: {oms}. СНИЛС: {snils}."),
        ("child", "Свидетельство о рождении {bc}; паспорт матери {pass}."),
        ("adult", "Паспорт {pass}, выдан {d:x:num}. ИНН {inn12}."),
        (
            "child",
            "Ребёнок {pat:nomn:fi}, возраст {age}, наблюдается в {hosp:loct} с {d:dx:mygen}.",
        ),
        ("child", "Контактный телефон матери ({mot:nomn:io}): {phone}."),
        ("", "Проживает в г. {city:nomn} ({region:nomn})."),
        ("child", "Проживает с родителями в {city:loct}; посещает детский сад."),
        (
            "adult",
            "Проживает в {city:loct}, работает инженером; курит {pl:5:20:сигарету|сигареты|сигарет} в день.",
        ),
        ("", "Амбулаторная карта № {amb}, прикреплен{g:|а} к {hosp2}."),
        ("", "Медицинская карта стационарного больного (МКСБ) {mksb}."),
        ("", "История болезни № {ib}. {g:Больной|Больная}: {pat:nomn:F}, {ageyears}."),
        ("child", "Законный представитель: {mot:nomn:f}, паспорт {pass}, СНИЛС {snils}."),
        (
            "",
            "{g:Пациент|Пациентка} {pat:nomn:si} ({dobyear} г.р., СНИЛС {snils}) включен{g:|а} в регистр {d:cons}.",
        ),
        ("", "Адрес фактического проживания: {addr}, г. {city:nomn}."),
        ("", "Место жительства: {region:nomn}, г. {city:nomn}, {addr}."),
    ],
    "history": [
        ("sma", "Диагноз: спинальная мышечная атрофия {smatype} типа ({ep})."),
        (
            "sma",
            "Молекулярно-генетическое исследование от {d:dx}: гомозиготная делеция 7–8 экзонов гена [[SMN1]], число копий гена [[SMN2]] — {smn2}.",
        ),
        ("sma", "Диагноз подтверждён в {d:dx:myloc} в {genlab:loct}."),
        (
            "sma child",
            "Первые симптомы (снижение мышечного тонуса, задержка моторного развития) отмечены родителями в возрасте {pl:2:8:месяца|месяцев|месяцев}.",
        ),
        (
            "sma child",
            "Ребёнок от {int:1:4}-й беременности, роды в срок, масса при рождении {int:2800:4100} г.",
        ),
        (
            "sma child",
            "Со слов матери ({mot:nomn:fi}), ребёнок перестал удерживать голову в {d:dx:myloc}.",
        ),
        (
            "",
            "Наблюдается у невролога по месту жительства ({doc2:gent:si}, {hosp2}) с {d:dx:mygen}.",
        ),
        (
            "as adult",
            "{g:Болен|Больна} с {d:dx:mygen}, когда появились боли в нижней части спины и утренняя скованность.",
        ),
        ("as", "[[HLA-B27]] положительный (исследование от {d:dx})."),
        ("as", "Диагноз: анкилозирующий спондилит ({ep}), развёрнутая стадия, активность высокая."),
        (
            "as",
            "Ранее получал{g:|а} [[адалимумаб]] с {d:x:mygen}, отменён в связи со вторичной неэффективностью.",
        ),
        (
            "sma child",
            "Семейный анамнез: у старшего брата ({sib:nomn:i}, {pl:5:12:год|года|лет}) диагностирована СМА 3 типа.",
        ),
        ("", "Семья переехала из {city2:gent} в {city:accs} в {d:x:myloc}."),
        ("sma", "Неонатальный скрининг: выявлено отсутствие [[SMN1]]; подтверждение {d:dx:dm}."),
        ("", "Впервые консультирован{g:|а} {doc:ablt:si} в {hosp:loct} {d:dx}."),
        (
            "sma",
            "Диагноз «{ep}» установлен {d:dx:text} на основании клинической картины и ДНК-диагностики.",
        ),
        ("sma", "[[SMN1]]: 0 копий; [[SMN2]]: {smn2} копии (МЛПА, {genlab:nomn})."),
        ("as", "Рентгенография КПС от {d:dx}: двусторонний сакроилеит II стадии."),
        (
            "as",
            "МРТ крестцово-подвздошных сочленений: активный сакроилеит; [[СРБ]] {flt:8:60} мг/л.",
        ),
    ],
    "treat": [
        (
            "nus",
            "{d:inj1} выполнено интратекальное введение препарата {brand:nomn} {dose} (нагрузочная доза № {int:1:4}).",
        ),
        (
            "nus",
            "{g:Пациенту|Пациентке} {pat:datv:si} {d:inj1} введён препарат {brand:nomn} в дозе {dose} (серия {lot}).",
        ),
        (
            "nus",
            "Введение {drug:gent} {d:inj2} перенесено удовлетворительно, постпункционного синдрома не было.",
        ),
        (
            "nus",
            "Люмбальную пункцию выполнил{gd:|а} {doc:nomn:is}, ассистировала медсестра {nur:nomn:si}.",
        ),
        (
            "zol",
            "Однократная внутривенная инфузия препарата {brand:nomn} ({inn:nomn}) проведена {d:inj1} в дозе {dose}, серия {lot}.",
        ),
        ("zol", "За сутки до инфузии начат [[преднизолон]] 1 мг/кг/сут."),
        ("zol", "Перед введением {brand:gent} антитела к AAV9 — отрицательные (титр менее 1:50)."),
        ("ris", "С {d:inj1:dm} получает {drug:accs} {dose} внутрь ежедневно."),
        (
            "ris",
            "{g:Пациент|Пациентка} {pat:nomn:s} принимает [[Эврисди]] с {d:inj1}; приверженность хорошая.",
        ),
        ("sma", "Терапия {drug:ablt} начата {d:inj1} в {hosp:loct}."),
        ("nus", "{d:inj1} — первое введение {drug:gent} (визит 1); {d:inj2} — второе введение."),
        ("sen", "Инфузия {inn:gent} в/в капельно {d:inj1}, доза {dose}, без реакций."),
        (
            "sen",
            "{g:Пациенту|Пациентке} {pat:datv:fi} проведена {int:2:8}-я инфузия {inn:gent} ({dose}).",
        ),
        ("as", "Сопутствующая терапия: [[эторикоксиб]] 90 мг/сут, [[сульфасалазин]] 2 г/сут."),
        ("nus", "Переведен{g:|а} с {drugx} на [[рисдиплам]] по решению врачебной комиссии {d:x}."),
        (
            "",
            "Препарат получен из аптеки {hosp:gent} {d:inj1:dm}, серия {lot}, {pl:1:3:флакон|флакона|флаконов}.",
        ),
        (
            "nus",
            "На {int:28:63}-й день от начала терапии проведено очередное введение {drug:gent} {dose}.",
        ),
        (
            "sma",
            "В рамках программы лекарственного обеспечения {drug:nomn} назначен с {d:inj1:dm}.",
        ),
        (
            "nus",
            "Процедура проведена под седацией [[мидазоламом]]; объём выведенного ликвора 5 мл.",
        ),
    ],
    "assess": [
        (
            "sma child",
            "Оценка по шкале [[CHOP INTEND]] — {pl:20:60:балл|балла|баллов} (исходно {int:10:40}).",
        ),
        ("sma", "По шкале [[HFMSE]] {pl:5:60:балл|балла|баллов}, [[RULM]] — {int:5:37}."),
        ("sma child", "[[HINE-2]]: {pl:2:20:балл|балла|баллов}."),
        ("sma adult", "Тест 6-минутной ходьбы ([[6MWT]]) — {int:150:450} м."),
        (
            "sma child",
            "У {pat:gent:si} на визите {d:vis} оценка [[CHOP INTEND]] составила {pl:20:64:балл|балла|баллов}.",
        ),
        (
            "sma",
            "{d:vis} {doc:nomn:si} провел{gd:|а} оценку по шкалам [[HFMSE]] и [[RULM]]: {int:5:60} и {int:5:37} баллов соответственно.",
        ),
        (
            "as",
            "[[BASDAI]] {flt:1:8}, [[BASFI]] {flt:1:8}, [[ASDAS-CRP]] {flt:1:4} (высокая активность).",
        ),
        ("as", "Индекс [[ASDAS-СРБ]] на {d:vis} — {flt:1:4}."),
        (
            "as",
            "Через {pl:2:6:месяц|месяца|месяцев} терапии [[BASDAI]] снизился с {flt:5:8} до {flt:2:4}.",
        ),
        (
            "sma",
            "На {int:28:300}-й день от начала терапии отмечено улучшение: сидит без поддержки {pl:10:60:секунду|секунды|секунд}.",
        ),
        (
            "sma child",
            "Моторные навыки: удерживает голову, переворачивается; по [[HINE-2]] прирост {pl:2:6:балл|балла|баллов} за {pl:4:12:месяц|месяца|месяцев}.",
        ),
        (
            "as",
            "{pat:nomn:s}: [[BASFI]] {flt:2:7}, экскурсия грудной клетки {flt:2:5} см, тест Шобера {flt:2:5} см.",
        ),
        (
            "sma",
            "Динамика по [[HFMSE]]: +{pl:1:6:балл|балла|баллов} относительно исходного визита.",
        ),
    ],
    "labs": [
        (
            "",
            "[[АЛТ]] {int:10:300} Ед/л, [[АСТ]] {int:10:300} Ед/л, [[тромбоциты]] {int:50:450}×10⁹/л.",
        ),
        ("zol", "[[Тропонин I]] {flt:0.01:0.2:2} нг/мл (норма до 0,04)."),
        ("nus", "Белок в ликворе {flt:0.2:0.9:2} г/л, цитоз {int:0:12} клеток/мкл."),
        (
            "",
            "[[Креатинин]] {int:20:90} мкмоль/л, [[СРБ]] {flt:0.5:40} мг/л, [[СОЭ]] {int:2:60} мм/ч.",
        ),
        ("", "Анализ от {d:lab}: [[АЛТ]] {int:15:250} Ед/л, [[АСТ]] {int:15:250} Ед/л."),
        (
            "",
            "Образец крови доставлен в лабораторию {d:lab}, результат сообщён по телефону {hphone}.",
        ),
        (
            "nus",
            "Коагулограмма перед пункцией: МНО {flt:0.9:1.2:2}, АЧТВ {int:26:38} с; [[тромбоциты]] {int:150:400}×10⁹/л.",
        ),
        ("", "Общий анализ мочи без патологии; протеинурии нет."),
        (
            "zol",
            "Контроль [[АЛТ]]/[[АСТ]] и [[тропонина I]] еженедельно: {d:lab}, {d:ae}, {d:ae2}.",
        ),
        (
            "as",
            "[[СРБ]] {flt:5:80} мг/л (референс < 5), [[СОЭ]] {int:15:70} мм/ч, [[HLA-B27]] положителен.",
        ),
        (
            "",
            "Гемоглобин {int:95:150} г/л, лейкоциты {flt:3:12}×10⁹/л, [[тромбоциты]] {int:120:400}×10⁹/л.",
        ),
    ],
    "ae": [
        (
            "",
            "{d:ae} у {pat:gent:si} отмечено повышение [[АЛТ]] до {int:100:600} Ед/л (CTCAE степень {int:1:3}).",
        ),
        ("nus", "НЯ: постпункционная головная боль, рвота; начало {d:ae}, разрешение {d:ae2}."),
        (
            "",
            "Нежелательное явление «тромбоцитопения» зарегистрировано {d:ae}, [[тромбоциты]] {int:40:100}×10⁹/л.",
        ),
        ("", "Связь с препаратом {brand:nomn} оценена как возможная."),
        ("", "Сообщил{gd:|а} врач {doc:nomn:f}, тел. {hphone}, e-mail {hemail}."),
        ("", "Исход: выздоровление без последствий ({d:ae2})."),
        (
            "sen",
            "{d:ae} — инфузионная реакция лёгкой степени на введение {inn:gent}, купирована [[хлоропирамином]].",
        ),
        (
            "zol",
            "{d:ae} у {g:ребёнка|девочки} развилась лихорадка до {flt:38:39.5} °C и рвота; [[АЛТ]] {int:120:900} Ед/л; доза [[преднизолона]] увеличена до 2 мг/кг.",
        ),
        (
            "",
            "Препарат-подозреваемый: {drug:nomn}, серия {lot}; сопутствующие препараты: [[парацетамол]], [[омепразол]].",
        ),
        ("", "Серьёзность: госпитализация; дата госпитализации {d:ae}, {hosp:nomn}."),
        ("", "Информация получена от {mot:gent:f} по телефону {phone} {d:rep:dm}."),
        (
            "sma",
            "Нежелательное явление (MedDRA PT: Vomiting) начато {d:ae}, степень 1, разрешилось через {pl:1:5:день|дня|дней}.",
        ),
        ("", "Реакция на отмену не оценивалась; повторное назначение {drug:gent} не проводилось."),
        ("", "Лицо, направившее извещение: {doc:nomn:f}, лечащий врач, {hosp:nomn}, {hphone}."),
    ],
    "plan": [
        ("nus", "Следующее введение {drug:gent} запланировано на {d:next}."),
        (
            "zol",
            "Рекомендовано: контроль [[АЛТ]], [[АСТ]], [[тромбоцитов]] еженедельно в течение {pl:4:12:неделю|недели|недель}.",
        ),
        ("", "Повторная госпитализация в {hosp:accs} через 4 месяца."),
        ("", "Явка на контрольный визит {d:next} к {doc:datv:si} (каб. {int:100:420})."),
        ("ris", "Продолжить [[Эврисди]] {dose} ежедневно после еды."),
        ("", "Рекомендации даны {mot:datv:io}; копия выписки передана в {hosp2}."),
        (
            "sen",
            "Следующая инфузия {inn:gent} — {d:next}; продолжить [[эторикоксиб]] по требованию.",
        ),
        (
            "",
            "Выписан{g:|а} в удовлетворительном состоянии под наблюдение невролога по месту жительства.",
        ),
        (
            "",
            "ЛФК, массаж, ортезирование; консультация ортопеда через {pl:2:6:месяц|месяца|месяцев}.",
        ),
        ("", "Направить копию извещения в Росздравнадзор в течение 15 календарных дней."),
    ],
    "contact": [
        ("", "Адрес: {faddr}; телефон: {phone}."),
        ("child", "Контакт для связи: {mot:nomn:f} (мать), {phone}, {email}."),
        ("child", "Отец ребёнка, {fat:nomn:f}, тел. {phone}."),
        ("", "Страница семьи в соцсети со сбором средств: {url}."),
        ("", "Электронная почта для связи: {email}."),
        ("", "Сайт учреждения: {hurl}, телефон регистратуры {hphone}."),
        ("", "Телефон отделения: {hphone}; e-mail: {hemail}."),
        ("adult", "Мобильный телефон {g:пациента|пациентки}: {phone}; e-mail {email}."),
        ("child", "Мама ({mot:nomn:if}) на связи по номеру {phone} или через {url}."),
        ("", "ИНН медицинской организации {inn10}."),
    ],
    "sign": [
        ("", "Лечащий врач: {doc:nomn:si}"),
        ("sma", "Врач-невролог {doc:nomn:is}, зав. отделением {doc2:nomn:si}."),
        ("as", "Врач-ревматолог {doc:nomn:si}; зав. отделением {doc2:nomn:is}."),
        ("", "Выписка подготовлена {doc:ablt:si} {d:dis}."),
        ("", "Подпись: ______ /{doc:nomn:is}/"),
        ("", "Ответственный за фармаконадзор: {doc2:nomn:f}, {hemail}, {hphone}."),
        ("", "Дата: {d:dis}. Врач: {doc:nomn:fi}."),
        ("", "Заведующ{gd2:ий|ая} отделением к.м.н. {doc2:nomn:si}; лечащий врач {doc:nomn:si}."),
        ("", "Извещение заполнил{gd:|а}: {doc:nomn:f}, {d:rep}."),
        ("", "Консультант: д-р мед. наук, проф. {doc2:nomn:is}."),
    ],
    "noid": [
        ("", "Общее состояние удовлетворительное."),
        ("sma", "Дыхательная функция стабильна, НИВЛ в ночное время не требуется."),
        (
            "sma child",
            "Питание через рот, масса тела {flt:6:18} кг, прибавка {int:100:900} г за месяц.",
        ),
        ("sma", "Сухожильные рефлексы отсутствуют, фасцикуляции языка."),
        ("as", "Периферические суставы без воспалительных изменений, энтезиты не выявлены."),
        ("", "Аллергологический анамнез не отягощён."),
        ("sma", "Сколиоз I степени; рекомендован корсет."),
        ("", "Температура тела 36,6 °C, ЧСС {int:80:140} в минуту, SpO2 {int:95:99}%."),
        ("sma", "Кашлевой толчок ослаблен; рекомендован откашливатель."),
        ("", "Жалоб на момент осмотра нет."),
        ("as", "Уровень боли по ВАШ {int:2:8} см; ночные боли сохраняются."),
        ("", "Отрицательной динамики не выявлено."),
    ],
}

RU_RECIPES = {
    "discharge": [
        ("h_dis", 1, 2),
        ("demo", 1, 3),
        ("history", 1, 3),
        ("treat", 1, 2),
        ("assess", 0, 2),
        ("labs", 0, 2),
        ("noid", 0, 2),
        ("plan", 1, 2),
        ("sign", 1, 1),
    ],
    "referral": [
        ("h_ref", 1, 1),
        ("demo", 1, 3),
        ("history", 1, 2),
        ("treat", 0, 1),
        ("assess", 0, 1),
        ("contact", 0, 2),
        ("sign", 1, 1),
    ],
    "ae_report": [
        ("h_ae", 1, 1),
        ("demo", 0, 2),
        ("treat", 1, 2),
        ("ae", 2, 4),
        ("labs", 0, 2),
        ("sign", 0, 1),
    ],
    "visit": [
        ("h_vis", 1, 1),
        ("history", 0, 1),
        ("assess", 1, 3),
        ("noid", 1, 3),
        ("treat", 0, 1),
        ("plan", 1, 2),
        ("sign", 0, 1),
    ],
    "consent": [
        ("h_cons", 1, 2),
        ("demo", 1, 2),
        ("treat", 0, 1),
        ("contact", 0, 2),
        ("sign", 0, 1),
    ],
    "call": [("h_call", 1, 1), ("ae", 0, 2), ("noid", 1, 2), ("contact", 0, 2), ("plan", 1, 1)],
    "labs": [("h_lab", 1, 1), ("labs", 2, 4), ("treat", 0, 1), ("noid", 0, 1), ("sign", 0, 1)],
}

EN_FRAMES: dict[str, list[tuple[str, str]]] = {
    "h_dis": [
        ("sma", "DISCHARGE SUMMARY — {hosp}, Department of Paediatric Neurology."),
        ("as", "DISCHARGE SUMMARY — {hosp}, Rheumatology Unit."),
        ("", "Discharge summary. MRN {mrn}. Admitted {d:adm}, discharged {d:dis}."),
        ("uk", "Discharge letter. Hospital number {hospno}; NHS number {nhs}."),
        ("", "Patient: {pat::LF}. DOB: {d:dob}. Ward discharge date: {d:dis}."),
        ("ru", "Discharge summary (translated from Russian), case history no. {ib}, {hosp}."),
    ],
    "h_ref": [
        (
            "",
            "Referral letter. Dear Dr {doc2::l}, thank you for seeing {pat::fl}, date of birth {d:dob}.",
        ),
        ("uk", "Re: {pat::fl}, DOB {d:dob}, NHS number {nhs}."),
        ("us", "Re: {pat::fl} (MRN {mrn}), DOB {d:dob}."),
        (
            "",
            "I would be grateful if you could review {pat::fl}, who is currently treated with {drug} at {hosp}.",
        ),
        ("ru", "Referral to {hosp} for {pat::fml}, born {d:dob}, resident of {city}, {region}."),
    ],
    "h_ae": [
        ("", "CIOMS I form — suspected adverse reaction report received on {d:rep}."),
        ("", "Adverse event report, initial. Date the sponsor became aware: {d:rep}."),
        ("", "Follow-up report no. {int:1:4} dated {d:ae2} to the initial report of {d:rep}."),
        (
            "",
            "Individual case safety report: patient {pat::il}, age {ageyears} years, suspected drug {drug}.",
        ),
    ],
    "h_vis": [
        ("", "Clinic visit note, {d:vis}."),
        ("", "Neuromuscular clinic review on {d:vis} at {hosp}; seen by Dr {doc::l}."),
        ("", "Visit {int:2:9} (study day {int:60:420}), date of visit {d:vis}."),
        (
            "as",
            "Rheumatology follow-up, {d:vis}: inflammatory back pain with morning stiffness for {int:30:120} minutes.",
        ),
        ("", "Outpatient review {d:vis}, {hospcity}."),
    ],
    "h_cons": [
        (
            "child",
            "Consent note: informed consent for {brand} was signed by {mot::fl} (mother) on {d:cons}.",
        ),
        (
            "adult",
            "{pat::fl} gave written informed consent for registry participation on {d:cons}.",
        ),
        ("", "Consent for data processing obtained on {d:cons}; a copy was given to the family."),
        (
            "child",
            "Both parents, {mot::fl} and {fat::fl}, attended the consent discussion on {d:cons}.",
        ),
    ],
    "h_call": [
        (
            "child",
            "Telephone encounter {d:call}: call from the patient's mother, {mot::fl}, on {phone}.",
        ),
        ("", "Phone note {d:call}, {int:9:17}:{int:10:59} — incoming call from {phone}."),
        (
            "adult",
            "Telephone consultation on {d:call}: {pat::fl} reported fever of {flt:37.8:39.4} °C.",
        ),
        ("", "Call logged by {nur::fl}, research nurse, on {d:call}."),
    ],
    "h_lab": [
        ("", "Laboratory summary for samples taken on {d:lab}."),
        ("", "Lab results — {hosp}, collected {d:lab}, reported {d:ae}."),
        ("", "Safety bloods for {pat::li} (MRN {mrn})."),
    ],
    "demo": [
        ("", "Patient: {pat::LF}."),
        ("sma", "{pat::fl} is a {age} with spinal muscular atrophy type {smatype}."),
        ("", "Address: {faddr}."),
        ("uk", "Hospital number {hospno}; NHS number {nhs}."),
        ("us", "MRN: {mrn}. Insurance on file."),
        ("", "Home address {faddr}, tel. {phone}."),
        ("", "{pat::fl} was born on {d:dob} at {hosp2}."),
        ("ru", "Insurance: OMS policy {oms}; SNILS {snils}."),
        ("ru child", "Birth certificate {bc}; passport of the legal representative {pass}."),
        ("ru", "Name in Russian documents: {pat::cyr}."),
        ("ru adult", "Passport {pass}; taxpayer number (INN) {inn12}."),
        ("", "The family lives in {city}, {region}."),
        ("child", "{pat::fl} lives with {g:his|her} parents in {city} and attends nursery."),
        ("adult", "{pat::fl}, {ageyears}, works as an engineer and lives in {city}."),
        ("ru", "{pat::fl} (case history no. {ib}) was admitted on {d:adm}."),
        ("us", "{pat::F}, DOB {d:dob:usnum}, MRN {mrn}."),
        ("uk", "{pat::F}, born {d:dob:dmy}, NHS no. {nhs}."),
    ],
    "history": [
        ("sma", "Diagnosis: spinal muscular atrophy type {smatype} ({ep})."),
        (
            "sma",
            "Genetic testing on {d:dx} confirmed homozygous deletion of [[SMN1]] exon 7 with {smn2} copies of [[SMN2]].",
        ),
        ("sma child", "Symptoms began in {d:dx:my} with hypotonia and poor head control."),
        ("", "{pat::l} was first seen at {hosp2} in {city} in {d:dx:my}."),
        (
            "sma child",
            "Family history is notable for an older sibling, {sib::fl}, who has SMA type 3.",
        ),
        ("as", "{pat::fl} has had inflammatory back pain since {d:dx:my}; [[HLA-B27]] positive."),
        ("as", "Diagnosis: ankylosing spondylitis ({ep}), established on {d:dx}."),
        (
            "as",
            "Previously treated with [[adalimumab]] and [[secukinumab]] with secondary loss of response.",
        ),
        ("sma", "Newborn screening flagged absent [[SMN1]]; confirmed on {d:dx:dm}."),
        ("sma child", "Mother ({mot::fl}) first noticed reduced leg movements in {d:dx:my}."),
        ("", "The family moved from {city2:en} to {city} in {d:x:my}."),
        ("sma", "MLPA at {genlab}: [[SMN1]] 0 copies, [[SMN2]] {smn2} copies."),
        (
            "as",
            "MRI of the sacroiliac joints on {d:dx} showed active sacroiliitis; [[CRP]] {flt:8:60} mg/L.",
        ),
        ("", "Initially assessed by Dr {doc2::il} at {hosp2} on {d:dx}."),
        ("sma", "Diagnosed with SMA type {smatype} ({ep}) at the age of {int:3:30} months."),
    ],
    "treat": [
        ("nus", "{brand} ({inn}) {dose} was administered intrathecally on {d:inj1} (lot {lot})."),
        ("nus", "{pat::l} received {g:his|her} fourth loading dose of {drug} on {d:inj2}."),
        ("zol", "A single IV infusion of {brand} {dose} was given on {d:inj1}, lot {lot}."),
        ("zol", "[[Prednisolone]] 1 mg/kg/day was started 24 hours before the infusion."),
        ("ris", "{drug} {dose} once daily by mouth was started on {d:inj1}."),
        ("sen", "{pat::fl} started [[seniprutug]] on {d:inj1} at {hosp}."),
        ("nus", "The lumbar puncture was performed by Dr. {doc::il} under sedation."),
        ("nus", "Day 1 was {d:inj1}; the day 63 dose was given on {d:inj2}."),
        ("sma", "{pat::l}'s treatment with {drug} began on {d:inj1}."),
        ("sen", "Infusion {int:2:8} of [[seniprutug]] ({dose}) on {d:inj2} was uneventful."),
        ("as", "Concomitant: [[etoricoxib]] 90 mg daily, [[sulfasalazine]] 2 g daily."),
        (
            "nus",
            "Switched from {drugx} to [[risdiplam]] on {d:x} after a multidisciplinary team decision.",
        ),
        (
            "nus",
            "{drug} {dose} given on {d:inj1}, {d:inj2} and {d:x}; batch {lot} for all three doses.",
        ),
        ("zol", "Anti-AAV9 antibodies were negative before {brand} dosing."),
        ("ris", "{pat::fl} takes [[Evrysdi]] {dose} after breakfast; adherence is good."),
        ("nus", "Sedation with [[midazolam]]; 5 mL of CSF removed before injection."),
    ],
    "assess": [
        ("sma child", "{pat::l}'s [[CHOP INTEND]] was {int:20:64} (baseline {int:10:40})."),
        ("sma", "[[HFMSE]] {int:5:60}, [[RULM]] {int:5:37}, [[6MWT]] {int:150:450} m."),
        ("sma child", "At the visit on {d:vis}, [[HINE-2]] score was {int:2:20}."),
        ("as", "[[BASDAI]] {flt:1:8}, [[BASFI]] {flt:1:8}, [[ASDAS-CRP]] {flt:1:4}."),
        (
            "sma",
            "Dr {doc::l} assessed motor function on {d:vis}: [[HFMSE]] {int:5:60}, [[RULM]] {int:5:37}.",
        ),
        ("as", "After {int:2:6} months of therapy [[BASDAI]] fell from {flt:5:8} to {flt:2:4}."),
        ("sma", "By day {int:28:300} {pat::l} could sit unsupported for {int:10:60} seconds."),
        ("sma child", "[[CHOP INTEND]] improved by {int:2:12} points over {int:4:12} months."),
        (
            "as",
            "{pat::l}: [[ASDAS-CRP]] {flt:1:4}, chest expansion {flt:2:5} cm, modified Schober {flt:2:5} cm.",
        ),
        ("sma adult", "[[6MWT]] distance {int:150:450} m, unchanged from the previous visit."),
    ],
    "labs": [
        (
            "",
            "[[ALT]] {int:10:300} U/L, [[AST]] {int:10:300} U/L, [[platelets]] {int:50:450} ×10⁹/L.",
        ),
        ("zol", "[[Troponin I]] {flt:0.01:0.2:2} ng/mL on {d:lab}."),
        (
            "",
            "[[CRP]] {flt:0.5:40} mg/L, [[ESR]] {int:2:60} mm/h, [[creatinine]] {int:20:90} µmol/L.",
        ),
        ("nus", "CSF protein {flt:0.2:0.9:2} g/L, white cells {int:0:12}/µL."),
        ("", "Bloods on {d:lab}: [[ALT]] {int:15:250} U/L, [[AST]] {int:15:250} U/L."),
        ("", "Sample received by the laboratory on {d:lab}; results phoned to {hphone}."),
        ("zol", "Weekly [[ALT]]/[[AST]] and [[troponin I]]: {d:lab}, {d:ae}, {d:ae2}."),
        (
            "",
            "Haemoglobin {int:95:150} g/L, WBC {flt:3:12} ×10⁹/L, [[platelets]] {int:120:400} ×10⁹/L.",
        ),
        ("nus", "Pre-procedure coagulation: INR {flt:0.9:1.2:2}, APTT {int:26:38} s."),
        ("", "Urinalysis normal; no proteinuria."),
    ],
    "ae": [
        (
            "",
            "On {d:ae}, {pat::fl} developed vomiting and fever; [[ALT]] rose to {int:100:600} U/L (CTCAE grade {int:1:3}).",
        ),
        ("nus", "Event: post-lumbar puncture headache, onset {d:ae}, resolved {d:ae2}."),
        ("", "Reporter: Dr. {doc::fl}, {hosp}, phone {hphone}, email {hemail}."),
        ("", "Causality with {brand} assessed as possible by the treating physician."),
        ("", "Thrombocytopenia ([[platelets]] {int:40:100} ×10⁹/L) was reported on {d:ae}."),
        ("", "Outcome: recovered without sequelae on {d:ae2}."),
        (
            "sen",
            "Mild infusion-related reaction to [[seniprutug]] on {d:ae}, treated with [[cetirizine]].",
        ),
        (
            "zol",
            "On {d:ae} {pat::l} had fever and vomiting; [[ALT]] {int:120:900} U/L; [[prednisolone]] increased to 2 mg/kg.",
        ),
        ("", "Suspect product: {drug}, lot {lot}; concomitant: [[paracetamol]], [[omeprazole]]."),
        ("", "Seriousness: hospitalisation on {d:ae} at {hosp}."),
        ("child", "Information provided by {mot::fl} by telephone ({phone}) on {d:rep:dm}."),
        ("", "MedDRA PT Vomiting, onset {d:ae}, grade 1, resolved within {pl:2:5:day|days}."),
        ("", "Dechallenge not applicable; {drug} was not re-administered."),
        ("", "Reported by {doc::il}, treating physician at {hosp}, on {d:rep}."),
    ],
    "plan": [
        ("nus", "Next dose due on {d:next}."),
        ("", "Follow-up with Dr {doc2::l} at {hosp} in 4 months."),
        ("zol", "Weekly [[ALT]]/[[AST]] and [[platelets]] for {int:4:12} weeks."),
        ("", "Review in clinic on {d:next} with Dr {doc::il}."),
        ("ris", "Continue [[Evrysdi]] {dose} daily."),
        ("", "A copy of this letter goes to the GP, Dr {doc2::fl}, {hosp2}."),
        ("sen", "Next [[seniprutug]] infusion on {d:next}; [[etoricoxib]] as needed."),
        ("", "Discharged home in a stable condition."),
        ("", "Physiotherapy twice weekly; orthotics review in {int:2:6} months."),
        ("", "Expedited report to the regulator within 15 calendar days."),
    ],
    "contact": [
        ("child", "Mother: {mot::fl}, mobile {phone}, email {email}."),
        ("", "The family's fundraising page: {url}."),
        ("", "Clinic website: {hurl}; switchboard {hphone}."),
        ("", "Address: {faddr}."),
        ("", "Neuromuscular team direct line {hphone}, {hemail}."),
        ("adult", "{pat::fl} can be reached on {phone} or at {email}."),
        ("child", "Father, {fat::fl}, prefers contact by email: {email}."),
        ("child intl", "Mrs {mot::l} was updated by phone on {d:call} and is happy with the plan."),
        ("adult intl", "Mr {pat::l} was advised to call {hphone} if symptoms recur."),
        ("", "Correspondence address: {faddr}."),
    ],
    "sign": [
        ("sma", "Yours sincerely, Dr {doc::fl}, Consultant Paediatric Neurologist."),
        ("as", "With best wishes, Dr {doc::fl}, Consultant Rheumatologist."),
        ("", "Signed: {doc::il}, MD."),
        ("", "cc: Dr {doc2::il}, {hosp2}."),
        ("", "Dictated by {doc::fl} on {d:dis}; typed by {nur::fl}."),
        ("", "Pharmacovigilance contact: {doc2::fl}, {hemail}, {hphone}."),
        ("", "Form completed by {doc::li} on {d:rep}."),
        ("ru", "Attending physician: {doc::fml}; head of department {doc2::il}."),
    ],
    "noid": [
        ("", "General condition stable."),
        ("sma", "Respiratory function is stable; no night-time NIV required."),
        ("sma child", "Feeding orally; weight {flt:6:18} kg, gaining {int:100:900} g per month."),
        ("sma", "Deep tendon reflexes absent; tongue fasciculations present."),
        ("as", "No peripheral synovitis or enthesitis."),
        ("", "No known drug allergies."),
        ("sma", "Mild scoliosis; spinal brace recommended."),
        ("", "Temperature 36.6 °C, heart rate {int:80:140}/min, SpO2 {int:95:99}%."),
        ("sma", "Weak cough; cough assist device recommended."),
        ("", "No new complaints today."),
        ("as", "Pain VAS {int:2:8}/10; night pain persists."),
        ("", "No deterioration compared with the last visit."),
    ],
}

EN_RECIPES = {
    "discharge": [
        ("h_dis", 1, 2),
        ("demo", 1, 3),
        ("history", 1, 3),
        ("treat", 1, 2),
        ("assess", 0, 2),
        ("labs", 0, 2),
        ("noid", 0, 2),
        ("plan", 1, 2),
        ("sign", 1, 1),
    ],
    "referral": [
        ("h_ref", 1, 1),
        ("demo", 1, 3),
        ("history", 1, 2),
        ("treat", 0, 1),
        ("assess", 0, 1),
        ("contact", 0, 2),
        ("sign", 1, 1),
    ],
    "ae_report": [
        ("h_ae", 1, 1),
        ("demo", 0, 2),
        ("treat", 1, 2),
        ("ae", 2, 4),
        ("labs", 0, 2),
        ("sign", 0, 1),
    ],
    "visit": [
        ("h_vis", 1, 1),
        ("history", 0, 1),
        ("assess", 1, 3),
        ("noid", 1, 3),
        ("treat", 0, 1),
        ("plan", 1, 2),
        ("sign", 0, 1),
    ],
    "consent": [
        ("h_cons", 1, 2),
        ("demo", 1, 2),
        ("treat", 0, 1),
        ("contact", 0, 2),
        ("sign", 0, 1),
    ],
    "call": [("h_call", 1, 1), ("ae", 0, 2), ("noid", 1, 2), ("contact", 0, 2), ("plan", 1, 1)],
    "labs": [("h_lab", 1, 1), ("labs", 2, 4), ("treat", 0, 1), ("noid", 0, 1), ("sign", 0, 1)],
}
