## День рождения: предложение

birthday-greeting = 🎂 <b>{ $name }, с днём рождения!</b>
birthday-greeting-soon = 🎂 <b>{ $name }, скоро ваш день рождения — { $date }!</b> Поздравляем заранее.
birthday-gift-points = 🎁 В подарок { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } уже на вашем счёте.
birthday-gift-coupon = 🎟 И купон на скидку { $percent }% — действует до { $until } включительно.
offer-how-to-use = Покажите карту на кассе (меню → Моя карта): кассир увидит ваш подарок.
reason-birthday = день рождения
reason-winback = подарок к возвращению

## День рождения: настройки

settings-birthday = День рождения: { $date }
settings-birthday-none = День рождения: не указан — добавьте его, и мы поздравим вас подарком
settings-birthday-button = 🎂 День рождения
birthday-ask = Когда у вас день рождения? Напишите дату в виде ДД.ММ или ДД.ММ.ГГГГ, например 25.04 или 25.04.1990. Изменить её потом сможет только администратор.
birthday-invalid-format = Не похоже на дату. Напишите ДД.ММ или ДД.ММ.ГГГГ, например 25.04 или 25.04.1990.
birthday-invalid-no-such-date = Такой даты нет в календаре. Проверьте день и месяц.
birthday-invalid-future = Эта дата ещё не наступила. Проверьте год.
birthday-invalid-too-old = Проверьте год: получается больше 120 лет.
birthday-confirm = Ваш день рождения — <b>{ $date }</b>? Изменить дату потом сможет только администратор.
birthday-confirm-yes = ✅ Да, сохранить
birthday-confirm-retry = ✏️ Ввести заново
birthday-saved = Готово! Мы поздравим вас { $date }.
birthday-saved-next-year = До дня рождения меньше { $days ->
        [one] { $days } дня
       *[other] { $days } дней
    }, поэтому подарок в этом году не положен — ждём вас в следующем.
birthday-locked = Ваш день рождения уже сохранён: { $date }. Изменить его может только администратор — обратитесь к нам на кассе.

## Сгорание баллов

expiry-notice = ⌛ { $points ->
        [one] Сгорел { $points } неиспользованный балл
        [few] Сгорели { $points } неиспользованных балла
        [many] Сгорели { $points } неиспользованных баллов
       *[other] Сгорели { $points } неиспользованного балла
    }: закончился срок действия. Баланс: { $balance }.
expiry-reminder-title = ⏳ <b>Скоро сгорят баллы</b>
expiry-reminder-line = • { $points } { $points ->
        [one] балл сгорит
        [few] балла сгорят
        [many] баллов сгорят
       *[other] балла сгорят
    } { $date } — { $days ->
        [one] остался { $days } день
        [few] осталось { $days } дня
        [many] осталось { $days } дней
       *[other] осталось { $days } дня
    }
expiry-reminder-how = Потратьте их: покажите карту на кассе — баллами можно оплатить до { $max_share }% покупки.

## Мы скучаем

winback-greeting = 👋 <b>{ $name }, давно не виделись!</b> Мы скучаем и приготовили подарок к вашему возвращению.
winback-gift-points = 🎁 { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } уже на вашем счёте.
winback-gift-coupon = 🎟 Купон на скидку { $percent }% — действует до { $until } включительно.

## Купоны

balance-coupon = 🎟 Купон −{ $percent }% ({ $kind }) до { $until }: покажите карту на кассе
coupon-kind-birthday = ко дню рождения
coupon-kind-winback = к возвращению
staff-view-coupon = 🎟 Купон −{ $percent }% ({ $kind }), до { $until }
staff-btn-coupon = 🎟 Погасить купон −{ $percent }%
coupon-redeemed = 🎟 Купон −{ $percent }% для { $name } погашен. Дайте скидку на кассе.
coupon-refused-used = Этот купон уже использован.
coupon-refused-expired = Срок действия купона закончился.
coupon-refused-not-yet = Купон ещё не действует.
coupon-refused-unknown = Такого купона нет.

## Владельцу: задания и дни рождения

jobs-title = <b>Запуски заданий по расписанию</b>
jobs-job = <b>{ $job }</b>
jobs-line = { $time } · { $status } · участников: { $members } · сообщений: { $messages }{ $undelivered ->
        [0] {""}
       *[other] {" "}· не доставлено: { $undelivered }
    } · ошибок: { $errors }
jobs-never = ещё не запускалось
job-name-expire = Сгорание баллов
job-name-expiry-reminders = Напоминания о сгорании
job-name-birthday = Дни рождения
job-name-winback = Возвращение неактивных
job-status-ok = готово
job-status-failed = сбой
job-status-busy = уже шло в другом экземпляре
job-status-quiet = тихие часы, перенесено
job-status-disabled = выключено
job-status-running = идёт
job-status-interrupted = прервано
birthday-owner-usage = Напишите /birthday КОД ДД.ММ или /birthday КОД ДД.ММ.ГГГГ, где КОД — код участника с карты (например ABCD-EFGH). /birthday КОД - удаляет дату.
birthday-owner-unknown = Участника с таким кодом нет.
birthday-owner-set = День рождения { $name } ({ $code }): { $date }.
birthday-owner-cleared = День рождения { $name } ({ $code }) удалён: участник может указать его заново.
card-coupon = Купон −{ $percent }% до { $until }
