## Что участники видят под рекламным сообщением

broadcast-unsubscribe = 🔕 Отписаться
broadcast-quiz-play = 🧩 Пройти викторину
broadcast-quiz-title = 🧩 <b>Новая викторина: { $title }</b>
broadcast-quiz-body = { $questions } { $questions ->
        [one] вопрос
        [few] вопроса
        [many] вопросов
       *[other] вопроса
    }, { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } за каждый правильный ответ. Открыта до { $until }.
broadcast-quiz-bonus = 🎁 И ещё { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } за прохождение до конца.

unsubscribe-done = 🔕 Рекламные сообщения больше не придут. Чеки и уведомления о баллах будут приходить как раньше. Включить предложения снова: ⚙️ Настройки.
unsubscribe-done-short = Вы отписались
unsubscribe-already = Рекламные сообщения уже выключены. Включить их можно в настройках.
unsubscribe-not-member = Эта кнопка отписывает участников от рекламных сообщений.

## Создание рассылки

broadcast-ask-message = 📣 <b>Новая рассылка</b>
    Пришлите сообщение, которое получат участники: текст (с форматированием, ссылками, эмодзи) или фото, видео, GIF, документ или аудио с подписью. Оно уйдёт ровно таким, каким вы его пришлёте.
    /cancel — отменить.
broadcast-ask-message-again = Пришлите само сообщение (текст, фото, видео, GIF, документ или аудио) или /cancel.
broadcast-ask-button = Добавить под ним кнопку со ссылкой? Пришлите надпись и ссылку, например <code>Забронировать | https://example.com/book</code>, или нажмите «Без кнопки».
broadcast-no-button = Без кнопки
broadcast-button-invalid = Это не похоже на кнопку. Пришлите надпись (до { $limit } символов) и ссылку, начинающуюся с https://, например <code>Меню | https://example.com/menu</code>.
broadcast-stale = Этот шаг уже пройден. Начните заново: /broadcast.
broadcast-discarded = Рассылка отменена.

broadcast-audience-title = <b>👥 Кто получит</b> (фильтры складываются: должны выполняться все)
broadcast-audience-count = Подходят: { $matching } · получат: <b>{ $recipients }</b>
broadcast-audience-left-out = Не получат: выключили рекламу — { $opted_out }, заблокировали бота — { $unreachable }, исчерпан недельный лимит — { $capped }
broadcast-segment-everyone = • Все участники
broadcast-segment-tiers = Уровень: { $tiers }
broadcast-segment-languages = Язык: { $languages }
broadcast-segment-inactive = Без покупок { $days } { $days ->
        [one] день
        [few] дня
        [many] дней
       *[other] дня
    } и дольше
broadcast-segment-joined = Вступили за последние { $days } { $days ->
        [one] день
        [few] дня
        [many] дней
       *[other] дня
    }
broadcast-segment-expiring = Баллы сгорают в ближайшие { $days } { $days ->
        [one] день
        [few] дня
        [many] дней
       *[other] дня
    }
broadcast-segment-birthday = День рождения в этом месяце
broadcast-segment-never = Ещё ни разу не покупали
broadcast-language-ru = Русский
broadcast-language-en = English
broadcast-filter-inactive-days = { $days ->
        [0] 😴 Без покупок N дней…
       *[other] 😴 Без покупок { $days }+ дн. ✅
    }
broadcast-filter-joined-days = { $days ->
        [0] 🆕 Вступили за N дней…
       *[other] 🆕 Вступили ≤ { $days } дн. ✅
    }
broadcast-filter-expiring-days = { $days ->
        [0] ⏳ Баллы сгорают в течение N дней…
       *[other] ⏳ Сгорают ≤ { $days } дн. ✅
    }
broadcast-filter-birthday = 🎂 День рождения в этом месяце
broadcast-filter-never = 🛍 Ни одной покупки
broadcast-filter-everyone = Все участники
broadcast-ask-inactive-days = Сколько дней участники не покупали? Пришлите число (например, 60) или 0, чтобы убрать этот фильтр.
broadcast-ask-joined-days = За сколько последних дней вступили участники? Пришлите число (например, 30) или 0, чтобы убрать этот фильтр.
broadcast-ask-expiring-days = В течение скольких дней у участников сгорают баллы? Пришлите число (например, 14) или 0, чтобы убрать этот фильтр.
broadcast-days-invalid = Пришлите целое число дней от 1 до 3650 или 0, чтобы убрать фильтр.
broadcast-preview = 👁 Предпросмотр
broadcast-discard = ✖️ Отменить

broadcast-preview-above = 👆 Ровно так сообщение увидят участники.
broadcast-recipients = Его получат <b>{ $recipients }</b> { $recipients ->
        [one] участник
        [few] участника
        [many] участников
       *[other] участника
    }.
broadcast-nobody = Получателей нет: измените аудиторию.
broadcast-quiet-now = 🌙 Сейчас тихие часы: отправка начнётся в { $start }.
broadcast-send-now = 🚀 Отправить сейчас
broadcast-schedule = 🕒 Запланировать
broadcast-change-audience = 👥 Изменить аудиторию
broadcast-ask-when = Когда отправить? Пришлите дату и время, например <code>25.12.2026 12:00</code> (часовой пояс { $zone }).
broadcast-when-invalid = Пришлите дату и время в виде <code>25.12.2026 12:00</code> или <code>25.12 12:00</code> (часовой пояс { $zone }).
broadcast-when-out-of-range = Выберите момент в будущем, не дальше чем через год.
broadcast-when-quiet = Это тихие часы ({ $start }–{ $end }), когда рекламные сообщения не отправляются. Выберите другое время.
broadcast-starting = 🚀 Рассылка #{ $id } начинается. Ход отправки появится ниже.
broadcast-starts-after-quiet = 🌙 Рассылка #{ $id } начнётся в { $start }, когда закончатся тихие часы.
broadcast-scheduled = 🕒 Рассылка #{ $id } запланирована на { $at }.
broadcast-cancel-scheduled = ✖️ Отменить рассылку #{ $id }

## Ход отправки и управление

broadcast-status-scheduled = запланирована
broadcast-status-sending = отправляется
broadcast-status-paused = на паузе
broadcast-status-cancelled = отменена
broadcast-status-done = завершена
broadcast-progress-head = 📣 <b>Рассылка #{ $id }</b> · { $status }
    { $summary }
broadcast-progress-counts = Обработано { $handled } из { $total } · доставлено { $sent }
broadcast-progress-eta = { $rate } сообщ. в секунду · осталось около { $eta }
broadcast-progress-quiet = 🌙 Тихие часы: отправка продолжится в { $start }
broadcast-progress-attribution = Покупки в течение { $days } { $days ->
        [one] дня
       *[other] дней
    } после получения: /broadcasts
broadcast-eta-minutes = { $minutes } мин
broadcast-eta-seconds = { $seconds } с
broadcast-pause = ⏸ Пауза
broadcast-resume = ▶️ Продолжить
broadcast-cancel = ✖️ Отменить
broadcast-paused-now = Рассылка #{ $id } на паузе
broadcast-resumed-now = Рассылка #{ $id } продолжается
broadcast-cancelled-now = Рассылка #{ $id } отменена
broadcast-cancelled-here = ✖️ Рассылка #{ $id } отменена.
broadcast-control-refused = Нельзя: рассылка { $status }.
broadcast-tally = ✅ Доставлено { $sent } · 🚫 заблокировали { $blocked } · ⚠️ ошибки { $failed } · 🔕 отписаны { $opted_out } · ⏱ недельный лимит { $capped }

## Отчёт

broadcasts-empty = Рассылок ещё не было. Создать: /broadcast.
broadcasts-title = 📣 <b>Последние рассылки</b> (покупки считаются в течение { $days } { $days ->
        [one] дня
       *[other] дней
    } после получения)
broadcasts-line = <b>#{ $id }</b> · { $when } · { $status }
    { $summary }
broadcasts-recipients = Получателей: { $total }
broadcasts-cancelled = Не отправлено (отмена): { $left }
broadcasts-purchased = 🛒 Купили в течение { $days } { $days ->
        [one] дня
       *[other] дней
    }: { $buyers }

## Статистика

stats-period-days = последние { $days } { $days ->
        [one] день
        [few] дня
        [many] дней
       *[other] дня
    }
stats-period-all = всё время
stats-title = 📊 <b>Статистика</b> · { $period }
stats-members = 👥 <b>Участники</b>: { $members } · новых на этой неделе { $week }, в этом месяце { $month }, за период { $period_new }
stats-engagement = Покупали хотя бы раз: { $buyers } ({ $share }) · активны за последние 30 дней: { $active }
stats-purchases = 🛒 <b>Покупки</b>: { $purchases } от { $buyers } { $buyers ->
        [one] участника
       *[other] участников
    } · повторные покупки { $repeat }
stats-money = Средний чек { $check } · выручка { $revenue } · LTV (траты на участника за всё время) { $ltv }
stats-points = 💎 <b>Баллы</b>: начислено { $earned } · списано { $redeemed } ({ $rate }) · сгорело { $expired }
stats-liability = На счетах: { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } = { $money } обязательств перед участниками
stats-referrals = 👋 <b>Рекомендации</b>: по приглашению вступили { $joined } · выплачено баллов { $points }
stats-quizzes = 🧩 <b>Викторины</b>: участвовали { $players } ({ $share }) · попыток { $attempts }, завершено { $finished }
stats-button-days = { $days } дн.
stats-button-all = Всё время
stats-button-chart = 📈 График
stats-button-members = ⬇️ Участники (CSV)
stats-button-operations = ⬇️ Операции (CSV)
stats-preparing = Готовлю…
stats-chart-caption = 📈 Новые участники, покупки и оплаты баллами по неделям; удержание по месяцам вступления.
stats-members-file = ⬇️ Участники: только то, что они сами сообщили программе.
stats-operations-file = ⬇️ Операции: { $period }.
chart-weekly-title = По неделям
chart-new-members = Новые участники
chart-purchases = Покупки
chart-redemptions = Оплата баллами
chart-cohorts-title = Удержание: доля новых участников месяца, покупавших в последующие месяцы
chart-cohort-axis = Месяц вступления
chart-month-axis = Месяцев после вступления
chart-size = участников:
chart-empty = За эти месяцы ещё никто не вступил
