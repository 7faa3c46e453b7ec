## Роли и приглашения

role-refused = Извините, это только для сотрудников.
invite-usage = Отправьте /invite staff или /invite marketer.
invite-created = Приглашение для роли «{ $role }»: отправьте эту ссылку человеку. Она сработает один раз в течение 24 часов.
    { $link }
invite-accepted = Добро пожаловать в команду! Ваша роль: { $role }.{ $hint }
invite-accepted-staff-hint = { " " }Отправьте /staff, чтобы начать обслуживать покупателей.
invite-accepted-marketer-hint = { " " }Инструменты маркетолога скоро появятся.
invite-owner-told = { $name } принял(а) приглашение, роль: { $role }.
invite-unknown = Эта ссылка-приглашение недействительна.
invite-used = Это приглашение уже использовано.
invite-expired = Срок приглашения истёк. Попросите владельца о новом.
invite-owner-self = Вы уже владелец: приглашение не нужно.
role-name-staff = сотрудник
role-name-marketer = маркетолог
role-name-owner = владелец
team-title = <b>Ваша команда</b>
team-empty = Сотрудников и маркетологов пока нет. Пригласите их: /invite staff или /invite marketer.
team-line = { $name } · { $role } · с { $date }
team-ops-button = 🧾 { $name }
team-revoke-button = ✖ Отозвать доступ: { $name }
team-revoked = У { $name } больше нет доступа.
team-revoked-notice = Владелец отозвал ваш доступ сотрудника.
team-not-found = Этого человека уже нет в команде.
team-ops-title = <b>Последние операции: { $name }</b>
team-ops-empty = Операций пока нет.

## Режим сотрудника

staff-mode-on =
    <b>Режим сотрудника включён.</b>
    Чтобы найти покупателя: наведите камеру телефона на его QR (Telegram откроет его здесь), пришлите фото QR или введите 8-значный код.
staff-mode-off = Режим сотрудника выключен.
staff-btn-scan = 📷 Сканировать фото
staff-btn-code = ⌨️ Ввести код
staff-btn-recent = 🧾 Последние операции
staff-btn-exit = 🚪 Выйти из режима сотрудника
staff-scan-hint = Пришлите фото QR-кода покупателя или наведите на него камеру телефона.
staff-code-ask = Введите код покупателя (8 символов, например ABCD-EFGH).
staff-not-in-mode = Сначала включите режим сотрудника: /staff

## Поиск участника

lookup-expired = Срок действия QR-кода истёк. Попросите покупателя нажать «Обновить QR» на карте.
lookup-forged = Это не карта участника.
lookup-revoked = Эта карта заменена новой. Попросите покупателя открыть карту заново.
lookup-malformed = Это не код участника. В нём 8 букв и цифр, например ABCD-EFGH.
lookup-unknown = Участника с таким кодом нет.
lookup-unreadable = Не удалось прочитать QR-код на фото. Попробуйте ещё раз ближе и в фокусе или введите код.
staff-view =
    👤 <b>{ $name }</b> · { $code }
    Уровень: { $tier } ({ $cashback }%)
    Баланс: <b>{ $points }</b> { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }
staff-view-stamps = Штампы: { $stamps } из { $needed }
staff-view-stamps-full = Штампы: { $stamps } из { $needed } · 🎁 положен подарок!
staff-view-recent = Последние операции:
staff-btn-purchase = 🛒 Покупка
staff-btn-redeem = 💳 Оплата баллами
staff-btn-reward = 🎁 Выдать: { $reward }

## Операции

staff-amount-ask = Сумма покупки для { $name }, { $currency } (например 1250 или 1 250,50):
staff-amount-ask-redeem = Сумма покупки для { $name } с оплатой части баллами, { $currency }:
staff-amount-invalid = Это не сумма. Введите число, например 1250 или 1 250,50.
staff-amount-range = Сумма должна быть от 0,01 до { $max }.
staff-confirm-purchase =
    <b>Покупка { $amount }</b>, покупатель { $name }
    Будет начислено: +{ $points }{ $stamp }
    Подтвердить?
staff-confirm-stamp = { " " }· штамп
staff-confirm-redeem =
    <b>Покупка { $amount }</b>, покупатель { $name }
    Оплата баллами: −{ $points } (не больше { $max_share }% чека)
    К оплате деньгами: <b>{ $to_pay }</b>
    Будет начислено: +{ $earn }{ $stamp }
    Подтвердить?
staff-confirm-reward = Выдать { $name }: { $reward }? Карта штампов начнётся заново.
staff-no-points = У { $name } нет баллов для оплаты этой покупки.
staff-btn-confirm = ✅ Подтвердить
staff-btn-abort = ✖ Отмена
staff-aborted = Отменено: ничего не записано.
staff-done-purchase = ✅ Покупка { $amount } записана: +{ $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }. Баланс { $balance }, штампов { $stamps }.{ $tier_up }
staff-done-redeem = ✅ Покупка { $amount }: −{ $redeemed } { $redeemed ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }, начислено +{ $points }, к оплате { $to_pay }. Баланс { $balance }.{ $tier_up }
staff-done-reward = ✅ Выдано: { $reward }. Штампов теперь: { $stamps }.
staff-tier-up = { " " }🏅 Новый уровень: { $tier }!
staff-held = ⏸ Операция ждёт подтверждения владельца ({ $reason }). Баллы придут покупателю после одобрения.
staff-awaiting-member = ⏳ Покупателя попросили подтвердить оплату баллами в его Telegram. Вы получите сообщение, когда он ответит.
staff-error-points = Баллов уже не хватает: баланс изменился. Найдите покупателя заново.
staff-error-stamps = Карта штампов ещё не заполнена.
staff-error-gone = Этого покупателя больше нет в программе.
staff-btn-cancel-op = ↩️ Отменить операцию №{ $id }
staff-cancelled = ↩️ Операция №{ $id } отменена. Баланс { $balance }.
staff-cancel-window = Отменить уже нельзя: окно отмены — { $minutes } мин. Обратитесь к владельцу.
staff-cancel-spent = Нельзя отменить: покупатель уже потратил эти баллы.
staff-cancel-status = Эту операцию нельзя отменить.
staff-cancel-not-yours = Отменить может только тот, кто её записал, или владелец.
staff-recent-title = <b>Ваши последние операции</b>
staff-recent-empty = Операций пока нет.
op-line = №{ $id } · { $time } · { $kind } · { $amount } · { $status }
op-kind-purchase = покупка
op-kind-redeem = покупка с оплатой баллами
op-kind-reward = подарок
op-status-done = проведена
op-status-held = ждёт владельца
op-status-awaiting = ждёт покупателя
op-status-declined = отклонена
op-status-cancelled = отменена
hold-big_amount = крупная сумма
hold-member_daily = слишком много покупок за день
hold-staff_hourly = слишком много операций за час
staff-decided-approved = ✅ Владелец одобрил операцию №{ $id }.
staff-decided-declined = ✖ Владелец отклонил операцию №{ $id }.
staff-member-confirmed = ✅ Покупатель подтвердил операцию №{ $id }.
staff-member-declined = ✖ Покупатель отказался от оплаты баллами (операция №{ $id }).

## Что получает участник

receipt-purchase =
    🧾 <b>Покупка { $amount }</b>
    +{ $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }{ $stamp }
receipt-redeem =
    🧾 <b>Покупка { $amount }</b>
    Оплачено баллами: −{ $redeemed }, деньгами: { $to_pay }
    Начислено: +{ $points }
receipt-reward = 🎁 Приятного вам: { $reward }! Карта штампов начинается заново.
receipt-stamp = { " " }· штамп
receipt-footer = Баланс: <b>{ $balance }</b> · штампов { $stamps } из { $needed } · уровень { $tier }
receipt-tier-up = 🏅 Поздравляем, ваш новый уровень — { $tier }: { $cashback }% возвращается баллами!
receipt-cancelled = ↩️ Операция №{ $id } отменена. Баланс: <b>{ $balance }</b>.
receipt-not-me-button = ⚠️ Это не я
receipt-not-me-thanks = Спасибо. Владелец уже знает и разберётся.
member-confirm-ask =
    Оплатить <b>{ $points }</b> { $points ->
        [one] баллом
       *[other] баллами
    } покупку на { $amount }? Деньгами останется { $to_pay }.
member-confirm-yes = ✅ Да, оплатить баллами
member-confirm-no = ✖ Нет
member-confirm-declined = Хорошо, баллы остаются на вашем счёте.
member-confirm-stale = Этот запрос уже не действует.

## Сообщения владельцу

owner-held =
    ⏸ <b>Операция №{ $id } ждёт решения</b> ({ $reason })
    { $kind } { $amount }, покупатель { $member }, сотрудник { $staff }
owner-btn-approve = ✅ Одобрить
owner-btn-decline = ✖ Отклонить
owner-approved = ✅ Операция №{ $id } одобрена.
owner-declined = ✖ Операция №{ $id } отклонена.
owner-decided-already = По этой операции решение уже принято.
owner-not-me =
    ⚠️ <b>{ $member } сообщает, что операция №{ $id } — не его.</b>
    { $kind } { $amount }, сотрудник { $staff }, { $time }.
