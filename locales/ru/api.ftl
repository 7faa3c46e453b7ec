## /apikeys: ключи HTTP API для касс и CRM

cmd-apikeys = API-ключи для касс и CRM
apikeys-title = <b>API-ключи</b> · { $count ->
        [0] пока нет
        [one] { $count } ключ
        [few] { $count } ключа
       *[many] { $count } ключей
    }
apikeys-empty = С ключом касса или CRM находит участников, проводит покупки и отменяет их через HTTP API.
apikeys-line = 🔑 <b>{ $name }</b> · { $location } · создан { $created } · { $used }
apikeys-used = последний запрос { $date }
apikeys-never-used = ещё не использовался
apikeys-whole-shop = все точки
apikeys-whole-shop-button = 🏬 Все точки
apikeys-btn-new = ➕ Новый ключ
apikeys-btn-revoke = ✖ Отозвать { $name }
apikeys-ask-name = Пришлите название нового ключа (до { $max ->
        [one] { $max } символа
       *[other] { $max } символов
    }), например «Касса 1», или /cancel.
apikeys-name-invalid = Название — от 1 до { $max ->
        [one] { $max } символа
       *[other] { $max } символов
    }. Попробуйте другое или /cancel.
apikeys-ask-location = Где работает { $name }? Его операции будут записаны на эту точку.
apikeys-created =
    🔑 Ключ <b>{ $name }</b> ({ $location }):
    <code>{ $key }</code>
    Сразу внесите его в настройки кассы: он показан только один раз, восстановить его нельзя. Затем удалите это сообщение.
apikeys-cancelled = Отменено: ключ не создан.
apikeys-location-gone = Этой точки больше нет. Начните заново: /apikeys.
apikeys-revoke-ask = Отозвать ключ <b>{ $name }</b>? Кассы с ним сразу перестанут работать.
apikeys-btn-revoke-yes = ✖ Отозвать
apikeys-btn-revoke-no = Оставить
apikeys-revoked = Ключ <b>{ $name }</b> отозван и больше не работает.
apikeys-kept = Ничего не изменилось: ключ работает.
apikeys-gone = Этот ключ уже отозван.
