"""Hand-written hard cases for the de-identification benchmark.

Markup (parsed by make_corpus.parse_marked, offsets computed while parsing):
  [[TYPE|surface]]  identifier of TYPE (PERSON DATE LOCATION PHONE EMAIL URL ID)
  {{surface}}       clinical term that must survive (keep)
Everything else is plain text and must not be labelled.
Checksummed numbers (SNILS, INN, OMS, NHS) are valid.
"""

RU = [
    # --- initials before / after, inflection ---------------------------------------------------
    "Консультирована проф. [[PERSON|Кузенковой Л.М.]] [[DATE|14.02.2023]]; рекомендовано продолжить {{Спинразу}}.",
    "[[PERSON|Л.М. Кузенкова]] отметила положительную динамику по шкале {{HFMSE}} (+4 балла).",
    "У [[PERSON|Кузенковой Л. М.]] на приёме был ребёнок с {{SMN2}} — 3 копии; телефон кабинета [[PHONE|8 (495) 967-14-20]].",
    "Пациенту [[PERSON|Иванову]] введена {{Спинраза}} 12 мг интратекально, серия 2345678.",
    "Беседа проведена с отцом, [[PERSON|Петровым Андреем Сергеевичем]], и с матерью — [[PERSON|Смирновой О.В.]]",
    "Направлен к [[PERSON|Гусейновой Айнур Рамизовне]] в [[LOCATION|НМИЦ здоровья детей]] на [[DATE|3 апреля]].",
    "Выписку подготовила [[PERSON|Е.А.Воронина]], проверил [[PERSON|Воронин Д.]]",
    "Со слов бабушки ([[PERSON|Зинаида Петровна]]), ребёнок стал хуже держать голову после ОРВИ.",
    # --- surnames that are ordinary words --------------------------------------------------------
    "Из-за сильного мороза визит перенесён; доктор [[PERSON|Мороз И.П.]] позвонила семье по номеру [[PHONE|8-912-345-67-89]].",
    "Ребёнка осмотрела [[PERSON|Кузнец Ирина Олеговна]]; кузнечный цех, где работает отец, — вредное производство.",
    "Врач [[PERSON|Волк А.В.]] провела оценку по шкале {{CHOP INTEND}}: 41 балл.",
    "Лечащий врач — [[PERSON|Соловей Т.Н.]]; медсестра [[PERSON|Зима Ольга]].",
    "Пациентка [[PERSON|Белых Дарья]], 2016 г.р., получает {{Эврисди}} 5 мг.",
    "Ответственный исследователь: [[PERSON|Шевчук Анна Игоревна]] (тел. [[PHONE|+7 (342) 239-12-34]]).",
    "Семья [[PERSON|Голубевых]] переехала в [[LOCATION|Пермский край]] в [[DATE|июле 2021 года]].",
    # --- all caps, hyphenated, diminutives -----------------------------------------------------
    "ПАЦИЕНТ: [[PERSON|СМИРНОВ АРТЁМ ИГОРЕВИЧ]]. ДАТА РОЖДЕНИЯ: [[DATE|05.11.2019]]. ДИАГНОЗ: СМА 1 ТИПА.",
    "ФИО законного представителя: [[PERSON|РИМСКАЯ-КОРСАКОВА АННА ПАВЛОВНА]].",
    "Рекомендации переданы [[PERSON|Римской-Корсаковой А.П.]] лично.",
    "Мама называет ребёнка [[PERSON|Сашенькой]]; [[PERSON|Саша]] хорошо перенёс пункцию.",
    "[[PERSON|Машу]] привезли на 4-е введение {{нусинерсена}} (день 63).",
    # --- names next to brands and scales ----------------------------------------------------
    "[[PERSON|Иванова]], {{Золгенсма}}: инфузия [[DATE|12.03.2020]], доза 1,1×10¹⁴ вг/кг.",
    "{{Лантесенс}} [[PERSON|Петрову Ивану]] с [[DATE|01.02.2022]] вместо {{Спинразы}} (решение ВК).",
    "{{CHOP INTEND}} у [[PERSON|Сидоровой]] — 52, {{HINE-2}} — 14.",
    "[[PERSON|Ковалёв]]: {{BASDAI}} 6,1, {{BASFI}} 5,4, {{ASDAS-CRP}} 3,2; [[DATE|28.08.2024]] начат {{сенипрутуг}}.",
    # --- eponyms that must be kept --------------------------------------------------------------
    "Диагноз: СМА I типа (болезнь {{Верднига–Гоффмана}}), {{SMN2}} — 2 копии.",
    "Клинически — СМА III типа ({{Кугельберга-Веландер}}), положительный симптом {{Говерса}}.",
    "Анкилозирующий спондилит (болезнь {{Бехтерева}}), {{HLA-B27}} положителен; тест {{Шобера}} 2 см.",
    "Пациент [[PERSON|Бехтерев Олег Ильич]] наблюдается с диагнозом «болезнь {{Бехтерева}}» с [[DATE|2018-05-17]].",
    "Рефлекс {{Бабинского}} отрицательный; миопатия {{Дюшенна}} исключена (ген {{DMD}} без делеций).",
    "СМА II типа (болезнь {{Дубовица}}); шкала {{Хаммерсмит}} ({{HFMSE}}) — 18 баллов.",
    # --- institutions ----------------------------------------------------------------------------
    "Направлен в [[LOCATION|ФГБНУ «НИИР им. В.А. Насоновой»]] для решения вопроса о назначении {{сенипрутуга}}.",
    "Консультирован в [[LOCATION|ГБУЗ «ДГКБ № 9 им. Г.Н. Сперанского ДЗМ»]], затем в [[LOCATION|РДКБ РНИМУ им. Н.И. Пирогова]].",
    "Госпитализирован в [[LOCATION|Морозовскую детскую городскую клиническую больницу]]; в стационаре находился 5 дней.",
    "ДНК-диагностика выполнена в [[LOCATION|МГНЦ им. академика Н.П. Бочкова]] ([[DATE|янв. 2021 г.]]).",
    "Ребёнок переведён из районной больницы в [[LOCATION|ГБУЗ ПК «Краевая детская клиническая больница»]] ([[LOCATION|г. Пермь, ул. Баумана, д. 22]]).",
    # --- addresses -------------------------------------------------------------------------------
    "Адрес: [[LOCATION|117198, г. Москва, ул. Профсоюзная, д. 86, корп. 2, кв. 14]].",
    "Проживает: [[LOCATION|пр-т Мира, д. 5, стр. 1, кв. 33]], г. [[LOCATION|Нижний Новгород]].",
    "Зарегистрирована в г. [[LOCATION|Чайковский]]; наблюдается у [[PERSON|Чайковской Е.В.]]",
    "Семья из [[LOCATION|Набережных Челнов]]; живут по адресу [[LOCATION|пер. Садовый, 7-41]].",
    "Прописан в [[LOCATION|Удмуртской Республике]], фактически живёт в [[LOCATION|Казани]].",
    # --- identifiers vs look-alike numbers --------------------------------------------------------
    "СНИЛС [[ID|670-835-601 10]]; препарат серия 2345678, 1 флакон.",
    "Полис ОМС [[ID|5443373519464965]], СНИЛС [[ID|27628199823]].",
    "Паспорт матери: серия [[ID|4512 № 345678]], выдан [[DATE|12.03.2015]].",
    "Паспорт [[ID|45 12 345678]]; свидетельство о рождении ребёнка [[ID|II-МЮ № 123456]].",
    "Свидетельство о рождении [[ID|IV-АК 654321]] выдано отделом ЗАГС г. [[LOCATION|Березники]].",
    "История болезни № [[ID|1234/2023]], амб. карта № [[ID|56789]].",
    "МКСБ [[ID|2023-4567]]; масса тела 9,4 кг; {{тромбоциты}} 234×10⁹/л.",
    "ИНН [[ID|749930750572]]; ИНН учреждения [[ID|6108699530]].",
    "Лот EA1234, серия 912-345-67 (номер партии указан на упаковке); доза 12 мг/5 мл.",
    # --- dates in every format, and non-dates ------------------------------------------------------
    "Введения: [[DATE|12.03.19]], [[DATE|26 марта]], [[DATE|09.04.2019 г.]] и [[DATE|7 мая 2019 года]].",
    "Курс с [[DATE|01.02]] по [[DATE|15.02.2021]]; контроль {{АЛТ}} и {{АСТ}} на 7-й и 14-й день.",
    "Дебют заболевания — [[DATE|март 2019 г.]]; диагноз подтверждён в [[DATE|мае 2019 года]].",
    "Ребёнок 2019 г.р., в возрасте 2 лет начат {{рисдиплам}}; через 4 месяца — сидит с поддержкой.",
    "В 2020 году получала {{Спинразу}}, с 2022 г. — {{Эврисди}}; визит 5 (день 420) без особенностей.",
    "Дата визита: [[DATE|2024-01-15]]. Следующий визит — [[DATE|15/04/2024]].",
    # --- phones, emails, urls ------------------------------------------------------------------
    "Телефоны матери: [[PHONE|89123456789]], [[PHONE|+79123456789]]; отца — [[PHONE|+7 912 345-67-89]].",
    "Звонок на домашний тел. [[PHONE|234-56-78]] — не ответили; повторно [[PHONE|8 (912) 345 67 89]].",
    "Мама ведёт страницу [[URL|vk.com/id12345678]] и канал [[URL|t.me/sofia_sma_2021]], почта [[EMAIL|mama.sofii@mail.ru]].",
    "Сайт центра: [[URL|https://nczd.ru]]; вопросы по фармаконадзору — [[EMAIL|pv@nczd.ru]].",
    # --- mixed language --------------------------------------------------------------------------
    "Пациент [[PERSON|Орлов]] получил {{Spinraza}} ({{nusinersen}}) 12 mg; {{RULM}} 21, {{HFMSE}} 33.",
    "Заключение зарубежного центра: Dr. [[PERSON|Emily Carter]], [[LOCATION|Great Ormond Street Hospital]], [[LOCATION|London]].",
    # --- unusual name shapes ----------------------------------------------------------------------
    "Со слов пациентки [[PERSON|иванова м.с.]] (записано строчными в журнале звонков), боль в спине уменьшилась.",
    "Отец — [[PERSON|Мамедов Рашад Ильхам оглы]], мать — [[PERSON|Мамедова Лейла Ахмед кызы]].",
    "Консультация генетика д-ра [[PERSON|Ли Вэй]] ([[LOCATION|Томск]]) от [[DATE|10.10.2022]].",
    # --- no identifiers ----------------------------------------------------------------------------
    "Показатели {{АЛТ}} 45 Ед/л, {{АСТ}} 52 Ед/л, {{тропонин I}} 0,02 нг/мл; CTCAE степень 1.",
    "На 28-й день после введения {{онасемногена абепарвовека}} отмечено повышение трансаминаз; {{преднизолон}} 2 мг/кг.",
    "Стационар рекомендует продолжить {{нусинерсен}} каждые 4 месяца; следующая госпитализация через 120 дней.",
    "Число копий {{SMN2}} — 4; делеция 7–8 экзонов {{SMN1}} в гомозиготном состоянии.",
]

EN = [
    # --- titles, initials, possessives -----------------------------------------------------------
    "Seen by Dr. [[PERSON|J. Smith]] on [[DATE|12 March 2019]]; {{Spinraza}} 12 mg given.",
    "[[PERSON|Smith]]'s {{CHOP INTEND}} was 34 at day 63.",
    "Letter copied to Prof [[PERSON|Kuzenkova L.M.]] and to Dr [[PERSON|A.B. Sharma]].",
    "Pt: [[PERSON|Doe, Jane]]; MRN [[ID|00123456]]; DOB [[DATE|03/12/2019]].",
    "PATIENT: [[PERSON|O'BRIEN, SEAN]] — hospital number [[ID|7654321]].",
    "Dr [[PERSON|Nkemelu]] (consultant) and [[PERSON|Siobhan McAllister-Reid]] (specialist nurse) reviewed the child.",
    "[[PERSON|Ahmed]] tolerated the lumbar puncture well; [[PERSON|Ahmed]]'s mother [[PERSON|Fatima]] stayed overnight.",
    # --- surnames/given names that are common words ---------------------------------------------------
    "Mr [[PERSON|Baker]] (the patient's father) works as a baker and asked about {{Evrysdi}} storage.",
    "Dr [[PERSON|Rose Hill]] reviewed the MRI; there was no rose rash and no hill-climbing difficulty.",
    "[[PERSON|Hope]] has hope of walking; her {{HFMSE}} rose from 22 to 27.",
    "[[PERSON|Will]] will return for the fifth dose of {{nusinersen}}.",
    "Mrs [[PERSON|Lincoln]] travelled from [[LOCATION|Lincoln]] for the visit on [[DATE|4 June 2022]].",
    "Nurse [[PERSON|Grace Young]] noted the young patient's grace under pressure.",
    "[[PERSON|Mark]]'s mother noticed a mark at the injection site.",
    "The GP, Dr [[PERSON|Sterling]], was informed; sterling effort from the physiotherapy team.",
    # --- Russian names in English texts ---------------------------------------------------------------
    "The patient, [[PERSON|Ivanova Anna Sergeevna]] ([[PERSON|Иванова Анна Сергеевна]]), was transferred from [[LOCATION|Perm]].",
    "Referred by [[PERSON|L.M. Kuzenkova]], [[LOCATION|National Medical Research Center for Children's Health]], [[LOCATION|Moscow]].",
    "[[PERSON|Dmitry Volkov]]'s father, [[PERSON|Sergei]], can be reached on [[PHONE|+7 912 345-67-89]].",
    "Mother: [[PERSON|Petrova O.V.]], passport series [[ID|4512 № 345678]], SNILS [[ID|798-487-718 11]].",
    "OMS policy [[ID|6617933367975442]]; the family lives in [[LOCATION|Nizhny Novgorod Oblast]].",
    # --- eponyms and eponymous institutions ------------------------------------------------------
    "Spinal muscular atrophy type 1 ({{Werdnig-Hoffmann}} disease), {{SMN2}} copy number 2.",
    "SMA type 3 ({{Kugelberg–Welander}}); positive {{Gowers}}' sign; {{Babinski}} sign absent.",
    "SMA type 2 ({{Dubowitz}} disease); {{Hammersmith}} Functional Motor Scale Expanded ({{HFMSE}}) 18.",
    "Ankylosing spondylitis ({{Bekhterev}}'s disease), {{HLA-B27}} positive; modified {{Schober}} 2.5 cm.",
    "Imaging at [[LOCATION|John Radcliffe Hospital]], genetics at [[LOCATION|Addenbrooke's Hospital]].",
    "Transferred to [[LOCATION|Great Ormond Street Hospital]] from [[LOCATION|St Thomas' Hospital]] on [[DATE|2 Feb 2021]].",
    "Second opinion from [[LOCATION|Johns Hopkins Hospital]] and [[LOCATION|Mayo Clinic]]; Dr [[PERSON|Mayo]] is unrelated.",
    "{{Duchenne}} muscular dystrophy was excluded ({{DMD}} MLPA normal).",
    # --- dates, non-dates -----------------------------------------------------------------------------
    "Doses on [[DATE|March 12, 2019]], [[DATE|12th March 2019]], [[DATE|2019-03-26]] and [[DATE|12-Mar-2019]].",
    "Onset in [[DATE|March 2019]]; diagnosed on [[DATE|Mar 12]]; treated since [[DATE|Sept. 4, 2021]].",
    "The 3-year-old was first treated in 2019, at the age of 14 months, for 14 days of observation.",
    "Day 1 [[DATE|01/06/2023]] (UK format), day 14 [[DATE|06/14/2023]] (US format); visit 5 on day 63.",
    "Born 2018; week 12 {{RULM}} 19; CTCAE grade 2 vomiting for 3 days.",
    "Seen on the [[DATE|3rd of May]] and again on [[DATE|May 17]].",
    # --- phones -----------------------------------------------------------------------------------
    "Contact: [[PHONE|+44 (0)20 7946 0958]] (ward) or [[PHONE|07700 900461]] (mobile).",
    "Call the SMA clinic at [[PHONE|(617) 555-0132]], ext. 4471, or page [[PHONE|617.555.0147]].",
    "Family phone [[PHONE|+1-312-555-0190]]; lot A12345 and batch 7654321 recorded.",
    "Please ring [[PHONE|0161 496 0723]]; {{platelets}} 161 ×10⁹/L, {{ALT}} 61 U/L.",
    # --- addresses ------------------------------------------------------------------------------------
    "Address: [[LOCATION|221B Baker Street, London NW1 6XE]].",
    "Home: [[LOCATION|Flat 3, 14 Mill Lane, Leeds LS6 2AB]]; school in [[LOCATION|Headingley]].",
    "Mailing address [[LOCATION|1200 Main St, Apt 4B, Springfield, IL 62701]].",
    "They moved from [[LOCATION|Boston]] to [[LOCATION|Columbus]], [[LOCATION|Ohio]] in [[DATE|August 2020]].",
    "Lives at [[LOCATION|ul. Lenina 12, apt. 5, Perm 614000, Russia]]; treated at [[LOCATION|Perm Regional Children's Clinical Hospital]].",
    # --- IDs vs look-alikes ---------------------------------------------------------------------------
    "NHS number [[ID|943 476 5919]]; hospital number [[ID|K123456]].",
    "NHS no. [[ID|4856868594]]; {{Zolgensma}} lot 2345678 at 1.1×10¹⁴ vg/kg.",
    "MRN [[ID|MR448812]]; weight 8.4 kg; 12 mg/5 mL vial.",
    "Birth certificate [[ID|II-МЮ № 123456]] and INN [[ID|617114074509]] were provided by the family.",
    "Case history no. [[ID|1234/2023]], outpatient card no. [[ID|56789]].",
    # --- email, url ------------------------------------------------------------------------------
    "Mother's email [[EMAIL|sarah.jones84@gmail.com]]; fundraising page [[URL|https://www.gofundme.com/f/help-lily-jones]].",
    "Clinic site [[URL|www.childrens-example.org/sma]]; safety inbox [[EMAIL|drug.safety@childrens-example.org]].",
    "Profile link [[URL|vk.com/id45678912]] supplied by the family.",
    # --- names next to drugs / scales ----------------------------------------------------------
    "{{Evrysdi}} was started by [[PERSON|Olivia Evans]]; {{risdiplam}} 5 mg daily.",
    "{{Zolgensma}} infusion for [[PERSON|Noah]] on [[DATE|14 Nov 2022]]; {{troponin I}} 0.03 ng/mL.",
    "[[PERSON|Patel]] {{BASDAI}} 6.2 → 3.1 after {{seniprutug}}; {{ASDAS-CRP}} 1.9.",
    "{{RULM}} per physiotherapist [[PERSON|Kate Lowe]]: 24; {{HINE-2}} 12; {{6MWT}} not done.",
    # --- unusual name shapes -------------------------------------------------------------------
    "Reviewed by Dr [[PERSON|van der Berg]] and Dr [[PERSON|Nguyen Thi Lan]]; letter to Mrs [[PERSON|MacDonald-Smythe]].",
    "Call note: mum ([[PERSON|jess o'neill]], typed in lower case) reports {{Evrysdi}} was missed twice.",
    "Interpreter present: Ms [[PERSON|Oksana Hryhorenko]] (not a relative).",
    # --- no identifiers ---------------------------------------------------------------------------
    "{{ALT}} 45 U/L, {{AST}} 52 U/L, {{platelets}} 98 ×10⁹/L; CTCAE grade 1 thrombocytopenia.",
    "The hospital recommends continuing {{nusinersen}} every 4 months; the next admission is in 120 days.",
    "{{SMN2}} copy number 3; homozygous {{SMN1}} exon 7 deletion.",
    "Post-lumbar puncture headache resolved within 48 hours; no further action.",
    "{{Prednisolone}} 1 mg/kg/day for 30 days, then tapered over 28 days.",
    "{{CRP}} 12 mg/L, {{ESR}} 34 mm/h; {{BASFI}} 4.8; no uveitis.",
]

HARD_CASES = [("ru", s) for s in RU] + [("en", s) for s in EN]
