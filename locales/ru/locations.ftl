## Точки: филиалы сети

cmd-locations = Точки (филиалы)
locations-title = 📍 <b>Точки</b> (проведённые операции сегодня · за 30 дней)
locations-empty =
    Точек пока нет. Одному заведению они не нужны.
    Сеть добавляет по точке на филиал: сотрудники закрепляются за точкой, каждая операция запоминает, где она прошла, а /stats показывает каждый филиал.
locations-line = <b>{ $name }</b> · { $people } { $people ->
        [one] сотрудник
        [few] сотрудника
       *[many] сотрудников
    } · сегодня { $today } · за 30 дней { $recent }
locations-line-unassigned = <i>Без точки</i> · сегодня { $today } · за 30 дней { $recent }
locations-btn-add = ➕ Добавить точку
locations-btn-mine = 📍 Где работаю я
locations-btn-rename = ✏️ { $name }
locations-btn-archive = 🗄 В архив: { $name }
locations-btn-archive-yes = 🗄 Да, в архив
locations-btn-archive-no = ✖ Нет
locations-btn-none = Без точки
locations-ask-name = Пришлите название новой точки (до { $max } символов) или /cancel.
locations-ask-rename = Пришлите новое название для «{ $name }» (до { $max } символов) или /cancel.
locations-name-invalid = Название — от 1 до { $max } символов и не начинается с «/». Попробуйте другое или /cancel.
locations-name-taken = Точка «{ $name }» уже есть. Выберите другое название или /cancel.
locations-name-taken-archived = Это название занято точкой «{ $name }» в архиве. Выберите другое или /cancel.
locations-added = ✅ Точка «{ $name }» добавлена.
locations-renamed = ✅ «{ $old }» теперь называется «{ $name }».
locations-cancelled = Отменено, ничего не изменилось.
locations-gone = Этой точки больше нет или она в архиве.
locations-archive-ask =
    Отправить «<b>{ $name }</b>» в архив? Её операции останутся в истории и статистике, но новых сотрудников и API-ключей у неё не будет.{ $people ->
        [0] {""}
        [one] { " " }{ $people } сотрудник этой точки останется без точки, пока вы не переведёте его в /team.
        [few] { " " }{ $people } сотрудника этой точки останутся без точки, пока вы не переведёте их в /team.
       *[many] { " " }{ $people } сотрудников этой точки останутся без точки, пока вы не переведёте их в /team.
    }
locations-archived = 🗄 «{ $name }» в архиве.
locations-archive-kept = «{ $name }» остаётся как есть.
locations-ask-mine = Где вы работаете, когда обслуживаете покупателей? Ваши операции будут записываться на эту точку.
locations-mine-at = 📍 Теперь ваши операции записываются на точку «{ $location }».
locations-mine-none = 📍 Теперь ваши операции записываются без точки.

## Приглашения и команда

locations-invite-ask = На какой точке будет работать новый сотрудник?
locations-invite-at = 📍 Точка: { $location }
locations-team-at = 📍 { $location }
locations-team-nowhere = 📍 без точки
locations-btn-move = 📍 Перевести: { $name }
locations-move-ask = Где теперь работает { $name }?
locations-moved = 📍 { $name } теперь работает на точке «{ $location }».
locations-moved-none = 📍 { $name } теперь без точки.
locations-moved-notice = 📍 Владелец перевёл вас на точку «{ $location }»: ваши операции теперь записываются туда.
locations-moved-notice-none = 📍 Владелец открепил вас от точки: ваши операции теперь записываются без неё.
locations-held-at = 📍 { $location }

## Статистика по точкам

stats-button-all-locations = Все точки
stats-location = 📍 <b>{ $location }</b>: покупки, выручка и баллы этой точки. Участники, балансы, сгорание, приглашения и викторины — по всей сети.
stats-location-caption = 📍 { $location }
locations-already-there = Уже там: менять нечего.
