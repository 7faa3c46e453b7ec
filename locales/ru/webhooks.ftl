## Исходящие вебхуки (/webhooks, только владельцы)

cmd-webhooks = Вебхуки: события в ваши системы
webhooks-title =
    <b>Исходящие вебхуки</b>
    События уходят на эти адреса подписанными POST-запросами (JSON).
webhooks-empty = Адресов пока нет. Добавьте адрес вашей CRM или сервера и выберите, о каких событиях ему сообщать.
webhooks-endpoint = <b>#{ $id }</b> · { $state }
webhooks-active = ✅ включён
webhooks-disabled = ⏸ выключен
webhooks-url = { $url }
webhooks-events = События: { $events }
webhooks-events-all = все
webhooks-stats = Доставлено { $delivered } · в очереди { $pending } · не доставлено { $failed }
webhooks-next-attempt = Следующая попытка: { $time }
webhooks-last-error = Последняя ошибка: <code>{ $error }</code>
webhooks-open-button = ⚙️ #{ $id } { $url }
webhooks-add-button = ➕ Добавить адрес
webhooks-ping-button = 📨 Отправить тестовое событие
webhooks-retry-button = 🔁 Повторить неудачные ({ $count })
webhooks-disable-button = ⏸ Выключить
webhooks-enable-button = ▶️ Включить
webhooks-delete-button = 🗑 Удалить
webhooks-back-button = ← Все адреса
webhooks-all-button = Все события
webhooks-save-button = 💾 Сохранить
webhooks-keep-button = ← Нет, оставить
webhooks-event-member-joined = Новый участник
webhooks-event-purchase-recorded = Покупка записана
webhooks-event-points-redeemed = Оплата баллами
webhooks-event-tier-changed = Смена уровня
webhooks-event-points-expired = Баллы сгорели
webhooks-event-operation-cancelled = Операция отменена
webhooks-not-found = Этого адреса больше нет, или он выключен.
webhooks-ping-queued = Тестовое событие в очереди (доставка #{ $id }). Результат — в /webhooks.
webhooks-retry-queued = { $count ->
    [one] { $count } неудачная доставка снова в очереди.
    [few] { $count } неудачные доставки снова в очереди.
   *[many] { $count } неудачных доставок снова в очереди.
}
webhooks-confirm-disable =
    Выключить адрес #{ $id }?
    { $url }
    Новые события для него не будут ставиться в очередь; то, что уже ждёт, уйдёт, когда вы включите его снова.
webhooks-confirm-disable-button = ⏸ Да, выключить
webhooks-confirm-delete =
    Удалить адрес #{ $id } вместе с историей доставок?
    { $url }
    Больше ничего туда не отправится. Отменить нельзя.
webhooks-confirm-delete-button = 🗑 Да, удалить
webhooks-deleted = Адрес #{ $id } удалён.
webhooks-enabled = Включён.
webhooks-disabled-now = Выключен.
webhooks-too-many = Не больше { $max } адресов. Сначала удалите один.
webhooks-ask-url = Пришлите адрес: URL, начинающийся с http:// или https://, до 512 символов. /cancel — отмена.
webhooks-bad-url = Это не адрес http:// или https:// (не длиннее { $max } символов, без пробелов). Попробуйте ещё раз или /cancel.
webhooks-ask-events =
    Какие события отправлять на { $url }?
    Отметьте нужные и нажмите «Сохранить».
webhooks-stale = Эта форма уже закрыта. Начните заново: /webhooks.
webhooks-no-events = Выберите хотя бы одно событие.
webhooks-created =
    ✅ Адрес #{ $id } добавлен: { $url }
    События: { $events }

    <b>Секрет подписи</b> показывается только сейчас: сохраните его на своём сервере.
    <code>{ $secret }</code>

    В каждом запросе есть заголовок <code>X-Loyalty-Signature: t=…,v1=…</code>: v1 — HMAC-SHA256 строки «t.тело» с этим секретом (см. README, «Outbound webhooks»). Тестовое событие — в /webhooks.
webhooks-add-cancelled = Добавление адреса отменено.
