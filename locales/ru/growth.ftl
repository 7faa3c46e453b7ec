## Пригласить друзей

invite-title = <b>👥 Пригласить друзей</b>
invite-friend-gets = 🎁 Друг, который вступит по вашей ссылке, получит { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }.
invite-you-get-purchase = 💰 Вы получите { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }, когда друг сделает первую покупку.
invite-you-get-join = 💰 Вы получите { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }, как только друг вступит.
invite-cap = Засчитывается до { $cap } { $cap ->
        [one] друга
       *[other] друзей
    } за 30 дней.
invite-link = Ваша ссылка: { $link }
invite-stats = Вступили: { $joined } · сделали покупку: { $bought } · получено баллов: { $points }
invite-share-button = 📤 Поделиться ссылкой
invite-renew-button = 🔄 Новая ссылка (старая перестанет работать)
invite-renewed = Вот ваша новая ссылка. Старая больше не работает.
invite-share-text = Вступайте в { $program }: баллы за каждую покупку.
invite-share-text-bonus = Вступайте в { $program } и получите { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } в подарок.
invite-forward = Привет! Я коплю баллы в { $program }. Вступай по моей ссылке: { $link }
invite-forward-bonus = Привет! Я коплю баллы в { $program }. Вступай по моей ссылке и получи { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } в подарок: { $link }

## Переход по ссылке друга

referral-invited-by = 👋 { $name } приглашает вас в программу.
referral-invited-by-bonus = 👋 { $name } приглашает вас: вступите и получите { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } в подарок.
referral-joined-bonus = 🎁 За вступление по приглашению ({ $name }): { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }.
referral-refused-unknown = Эта ссылка-приглашение не работает. Вступить в программу всё равно можно.
referral-refused-revoked = Эту ссылку-приглашение заменили новой, поэтому подарка по ней нет. Вступить в программу всё равно можно.
referral-refused-self = Это ваша собственная ссылка-приглашение: отправьте её друзьям, она принесёт баллы и им, и вам.
referral-refused-member = Вы уже участник, поэтому приглашение не засчитывается: приглашения — для тех, кто ещё не вступил.
referral-refused-cap = Пригласивший вас друг исчерпал лимит приглашений на этот месяц, поэтому подарка по этой ссылке нет. Вступить в программу всё равно можно.
referral-friend-joined = 🎉 { $name } вступает по вашей ссылке! Вы получите { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } после первой покупки друга.
referral-friend-joined-paid = 🎉 { $name } вступает по вашей ссылке: вам { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }.
referral-friend-joined-plain = 🎉 { $name } вступает по вашей ссылке!
referral-friend-bought-paid = 🎉 { $name } по вашему приглашению сделал(а) первую покупку: вам { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }.

## Достижения

balance-achievements = 🏆 Достижения: { $names }
achievement-new = 🏆 Новое достижение: { $names }!
achievement-first-purchase = 🥇 Первая покупка
achievement-visits = 🔁 { $visits } { $visits ->
        [one] визит
        [few] визита
        [many] визитов
       *[other] визита
    }
achievement-first-quiz = 🎯 Первая викторина
achievement-friend-invited = 🤝 Друг приглашён
achievement-tier-reached = 🏅 Новый уровень

## Викторины для участников

quizzes-title = <b>🎯 Викторины</b>
quizzes-none = Сейчас викторин нет. Загляните сюда чуть позже!
quizzes-line = 🎯 <b>{ $title }</b>: { $questions } { $questions ->
        [one] вопрос
        [few] вопроса
        [many] вопросов
       *[other] вопроса
    }, { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } за каждый верный ответ{ $bonus }. До { $until }.
quizzes-line-bonus = { " " }и { $points } за прохождение до конца
quizzes-line-done = ✅ <b>{ $title }</b>: верно { $correct } из { $total }, { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    }.
quizzes-start-button = ▶️ { $title }
quizzes-continue-button = ⏯ { $title } ({ $answered }/{ $total })
quiz-question = <b>{ $title }</b> · вопрос { $number } из { $total }

    { $text }
quiz-your-answer = Ваш ответ: { $answer }
quiz-right = ✅ Верно!
quiz-wrong = ❌ Не совсем. Правильный ответ: <b>{ $answer }</b>
quiz-right-short = ✅ Верно!
quiz-wrong-short = ❌ Не совсем
quiz-already-answered = Вы уже ответили на этот вопрос.
quiz-result = <b>{ $title }: готово!</b> Верных ответов: { $correct } из { $total }.
quiz-result-points = 🎁 На ваш счёт { $points ->
        [one] зачислен { $points } балл
        [few] зачислено { $points } балла
        [many] зачислено { $points } баллов
       *[other] зачислено { $points } балла
    }.
quiz-result-no-points = В этот раз без баллов — удачи в следующей викторине!
quiz-unavailable-unknown = Этой викторины больше нет.
quiz-unavailable-closed = Эта викторина закрыта.
quiz-unavailable-not-started = Эта викторина ещё не началась.

## Создание викторин

quiz-new-title = <b>Новая викторина.</b> Как она называется? (до { $max } символов)
    Викторину можно и прислать файлом .yaml или .json. /cancel — отменить.
quiz-new-starts = Первый день викторины? Например, { $example }.
quiz-new-ends = А последний день? Например, { $example }.
quiz-date-invalid = Нужна дата вида { $example }.
quiz-new-points = Сколько баллов за каждый верный ответ (от 0 до { $max })?
quiz-new-bonus = Бонус за прохождение: баллы за ответы на все вопросы (0 — без бонуса, не больше { $max }).
quiz-new-number-invalid = Введите целое число от 0 до { $max }.
quiz-new-question = Вопрос { $number }: напишите его текст (до { $max } символов).
quiz-new-options = Варианты ответа на вопрос { $number }: от { $min } до { $max }, каждый с новой строки, до { $length } символов.
quiz-new-correct = Какой из них верный?
quiz-new-correct-number = Нажмите на верный вариант или напишите его номер (от 1 до { $count }).
quiz-new-more = { $saved ->
        [one] Сохранён { $saved } вопрос.
        [few] Сохранено { $saved } вопроса.
        [many] Сохранено { $saved } вопросов.
       *[other] Сохранено { $saved } вопроса.
    } Напишите вопрос { $number } или завершите.
quiz-new-full = Это максимум для одной викторины ({ $max } вопросов). Завершите, чтобы сохранить.
quiz-new-finish-button = ✅ Завершить и сохранить
quiz-new-cancelled = Остановлено. Ничего не сохранено.
quiz-saved = 📝 Сохранено как черновик. Проверьте и опубликуйте:
quiz-file-problems = <b>{ $count ->
        [one] В файле { $count } ошибка
        [few] В файле { $count } ошибки
        [many] В файле { $count } ошибок
       *[other] В файле { $count } ошибки
    }</b>, ничего не сохранено:
quiz-file-more = …и ещё { $count }.

## Ошибки в викторине

quiz-problem-line = строка { $line }: { $problem }
quiz-problem-title = название должно быть текстом от 1 до { $max } символов.
quiz-problem-number = { $key } должно быть целым числом от { $min } до { $max }.
quiz-problem-date = { $key } должно быть датой вида 2026-12-01 или 01.12.2026.
quiz-problem-dates-order = последний день раньше первого.
quiz-problem-ends-past = последний день уже прошёл.
quiz-problem-too-long = викторина может идти не больше { $days } { $days ->
        [one] дня
       *[other] дней
    }.
quiz-problem-questions-count = questions должен быть списком от 1 до { $max } вопросов.
quiz-problem-question-mapping = вопросу { $number } нужны question, options и correct.
quiz-problem-question-text = вопросу { $number } нужен текст от 1 до { $max } символов.
quiz-problem-options = вопросу { $number } нужно от { $min } до { $max } вариантов ответа.
quiz-problem-option-text = вариант { $option } вопроса { $number } должен быть от 1 до { $max } символов.
quiz-problem-options-repeat = у вопроса { $number } повторяется вариант ответа.
quiz-problem-correct = вопрос { $number }: correct должен быть номером варианта от 1 до { $count } или текстом одного из вариантов.
quiz-problem-missing = нет { $key }.
quiz-problem-unknown-key = неизвестный ключ { $key } (известные: { $known }).
quiz-problem-duplicate-key = { $key } указан дважды.
quiz-problem-not-mapping = в файле должны быть title, points_per_correct, starts, ends и questions.
quiz-problem-syntax = позиция { $column }: это не корректный { $format }.
quiz-problem-encoding = файл должен быть текстом в UTF-8.
quiz-problem-file-type = пришлите файл .yaml, .yml или .json.
quiz-problem-file-size = файл больше { $kb } КБ.

## Управление викторинами

quizzes-admin-title = <b>Викторины</b>
quizzes-admin-empty = Викторин пока нет. /quiz — создать; или пришлите файл .yaml или .json.
quizzes-admin-line = #{ $id } <b>{ $title }</b> · { $state } · { $dates } · прошли до конца: { $finished }
quiz-state-draft = черновик
quiz-state-scheduled = опубликована, ещё не началась
quiz-state-open = идёт
quiz-state-ended = закончилась
quiz-state-closed = закрыта
quiz-preview-button = 👁 #{ $id } { $title }
quiz-preview-head = <b>#{ $id } { $title }</b>
    { $state } · { $dates }
    { $points } { $points ->
        [one] балл
        [few] балла
        [many] баллов
       *[other] балла
    } за верный ответ, бонус за прохождение { $bonus }
    Начали: { $attempts }, прошли до конца: { $finished }
quiz-preview-question = <b>{ $number }. { $text }</b>
quiz-preview-option = { $mark } { $option }
quiz-publish-button = 📣 Опубликовать
quiz-close-button = ⏹ Закрыть
quiz-discard-button = 🗑 В архив
quiz-published = Опубликована на { $dates }.
quiz-closed-now = Закрыта.
quiz-unchanged = Уже сделано.
quiz-status-now = #{ $id } { $title }: { $state }.
quiz-error-unknown = Такой викторины нет.
quiz-error-closed = Эта викторина закрыта.
quiz-error-ended = Её последний день прошёл, опубликовать нельзя. Создайте новую.
