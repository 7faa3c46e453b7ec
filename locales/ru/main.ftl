## Вступление

start-greeting = Здравствуйте, { $name }! Это { $program }, наша программа лояльности.
start-explain =
    Получайте баллы за каждую покупку и оплачивайте ими следующие; собирайте штампы на подарки.
    Ваша карта — QR-код в этом чате: покажите его на кассе.
consent-prompt = Чтобы вступить, дайте согласие на обработку персональных данных: имени, Telegram ID, номера телефона, если вы его укажете, и ваших покупок в программе. Выйти можно в любой момент.
consent-button = ✅ Согласен, вступить
consent-done = Добро пожаловать в { $program }! Теперь вы участник.
consent-already = Вы уже участник программы.
welcome-bonus = 🎁 Подарок за вступление: { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } на вашем счёте.
phone-ask = Поделитесь номером телефона, чтобы кассир мог найти вас по нему. Это необязательно.
phone-share-button = 📱 Поделиться номером
phone-skip-button = Пропустить
phone-saved = Спасибо, номер сохранён.
phone-not-own = Пожалуйста, отправьте свой номер кнопкой ниже.
phone-skipped = Хорошо, номер можно добавить позже.

## Главное меню

menu-card = 💳 Моя карта
menu-balance = 💰 Баланс и история
menu-invite = 👥 Пригласить друзей
menu-quizzes = 🎯 Викторины
menu-settings = ⚙️ Настройки
menu-help = ❓ Помощь
menu-shown = Что хотите сделать? Воспользуйтесь меню ниже.
menu-placeholder = Выберите действие

cmd-start = Открыть главное меню
cmd-card = Показать QR-карту
cmd-balance = Баланс и история
cmd-settings = Язык и уведомления
cmd-help = Как работает программа
cmd-mydata = Получить копию моих данных
cmd-delete = Удалить мои данные

## Карта

card-caption = Покажите этот QR на кассе. Он действует до { $time }.
card-caption-forever = Покажите этот QR на кассе.
card-code-hint = Код для кассира
card-points = { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }
card-stamps = Штампы: { $stamps } из { $needed }
card-valid-until = Действует до { $time }
card-refresh-button = 🔄 Обновить QR
card-refreshed = Новый QR-код готов.
card-is-member-card = Это карта участника программы лояльности. Она работает, когда её сканирует сотрудник на кассе.

## Баланс и история

balance-title = <b>Ваш баланс: { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }</b>
balance-tier = Уровень: { $tier } · { $cashback }% возвращается баллами
balance-stamps = Штампы: { $stamps } из { $needed } · { $left ->
        [0] вас ждёт { $reward }!
        [one] ещё { $left } визит до подарка: { $reward }
        [few] ещё { $left } визита до подарка: { $reward }
       *[many] ещё { $left } визитов до подарка: { $reward }
    }
balance-expiry = ⏳ { $points } { $points ->
        [one] балл сгорит
        [few] балла сгорят
        [many] баллов сгорят
       *[other] балла сгорят
    } { $date }
balance-history = <b>История</b> (страница { $page } из { $pages }):
balance-no-history = Операций пока нет. Покажите карту на кассе, чтобы начать копить баллы.
history-line = { $date } · { $delta } · { $kind }{ $reason }
history-prev = ◀ Новее
history-next = Старше ▶
kind-earn = начисление за покупку
kind-bonus = бонус
kind-redeem = оплата баллами
kind-expire = сгорание
kind-adjust = корректировка
kind-reversal = отмена

## Настройки

settings-title = <b>Настройки</b>
settings-language = Язык: русский
settings-promo-on = Акции и новости: включены
settings-promo-off = Акции и новости: выключены
settings-language-button = 🌐 English
settings-promo-turn-off = 🔕 Отключить акции
settings-promo-turn-on = 🔔 Включить акции
settings-language-changed = Язык изменён на русский.
settings-promo-changed-on = Вы будете получать наши акции и новости.
settings-promo-changed-off = Акции больше не придут. Чеки и уведомления о баллах будут приходить как прежде.

## Помощь

help-text =
    <b>Как работает { $program }</b>

    💳 Покажите QR-карту на кассе (меню → Моя карта) или назовите кассиру код.
    💰 С каждой покупки возвращается { $base_cashback }% баллами; 1 балл = { $point_value }.
    🏅 Уровни повышают кешбэк: { $tiers }.
    ✂️ Баллами можно оплатить до { $max_redeem }% покупки.
help-stamps = ☕ Штампы: каждые { $needed ->
        [one] { $needed } визит
        [few] { $needed } визита
       *[many] { $needed } визитов
    }{ $min_purchase } — { $reward } в подарок.
help-stamps-min = { " " }от { $amount }
help-lifetime = ⏳ Баллы действуют { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[many] { $days } дней
    } с момента начисления.
help-lifetime-forever = ⏳ Баллы не сгорают.
help-tier = { $name } { $cashback }% ({ $rule })
help-tier-rule = от { $purchases ->
        [one] { $purchases } покупки
       *[other] { $purchases } покупок
    } или { $spend } за { $days ->
        [one] { $days } день
        [few] { $days } дня
       *[many] { $days } дней
    }

## Ответы на всё остальное

unknown-input = Не понял вас. Воспользуйтесь меню ниже или командой /help.
join-first = Вы ещё не участник программы. Вступить можно в одно касание:
stale-button = Эта кнопка уже не действует.
error-generic = Извините, у нас что-то пошло не так. Мы уже разбираемся. Код ошибки: { $error_id }.
cmd-staff = Режим сотрудника: обслуживание покупателей
cmd-invite = Пригласить сотрудника или маркетолога
cmd-team = Ваша команда
cmd-quiz = Создать викторину
cmd-quizzes = Викторины: просмотр, публикация, закрытие
cmd-jobs = Запуски рассылок и заданий по расписанию
cmd-birthday = Изменить день рождения участника
cmd-broadcast = Новая рассылка участникам
cmd-broadcasts = Рассылки: ход и результаты
cmd-stats = Статистика, график и выгрузки
