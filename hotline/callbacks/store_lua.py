"""The Lua scripts that change the callback store atomically (the layout is in `layout`).

Every change of a request's status and of the indexes that follow it happens inside one script, so no
reader ever sees a request half moved, and two engines never take the same request.

The request keys of ids read from an index are built inside the scripts from the prefix, so the store
needs one Redis server (no cluster), as arq does.
"""

from __future__ import annotations

# KEYS: active(number), open, ready, later, all, groups, seq.
# ARGV: request head, group, id, priority, due_at, next_attempt_at, now, created_at, prune_before,
#       hold until (0: none; the citizen is on a call until then at most),
#       then the new request's field/value pairs.
# A new request's `member` sorts equal due times by priority, then registration order. An open request
# merged into is held like a new one: no attempt before `hold until` (`call_ended` brings it forward).
# Returns {merged (0/1), id, position, the merged open request's attempt time before the hold, or ''}.
REGISTER = """
local existing = redis.call('HGET', KEYS[1], ARGV[2])
if existing then
  local key = ARGV[1] .. existing
  local f = redis.call('HMGET', key, 'status', 'member', 'next_attempt_at')
  if f[1] == 'dispatching' then
    redis.call('HSET', key, 'cancel_reason', '')
    return {1, existing, 1, ''}
  end
  if f[1] == 'open' then
    local rank = redis.call('ZRANK', KEYS[2], f[2])
    local hold = tonumber(ARGV[10])
    if hold > 0 and tonumber(f[3]) < hold then
      if redis.call('ZREM', KEYS[3], f[2]) == 1 or redis.call('ZSCORE', KEYS[4], f[2]) then
        redis.call('ZADD', KEYS[4], hold, f[2])
        redis.call('HSET', key, 'next_attempt_at', ARGV[10])
      end
    end
    return {1, existing, (rank or 0) + 1, f[3]}
  end
end
local key = ARGV[1] .. ARGV[3]
local m = string.format('%02d:%015d:', tonumber(ARGV[4]), redis.call('INCR', KEYS[7])) .. ARGV[3]
redis.call('HSET', key, 'member', m, unpack(ARGV, 11))
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[5], m)
if tonumber(ARGV[6]) <= tonumber(ARGV[7]) then
  redis.call('ZADD', KEYS[3], ARGV[5], m)
else
  redis.call('ZADD', KEYS[4], ARGV[6], m)
end
redis.call('ZADD', KEYS[5], ARGV[8], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[9])
redis.call('SADD', KEYS[6], ARGV[2])
return {0, ARGV[3], redis.call('ZRANK', KEYS[2], m) + 1, ''}
"""

# KEYS: ready, later, open, leases, inflight.
# ARGV: request head, now, owner, lease_expires_at, day head, day tail, daily cap (0: none),
#       next day's first allowed instant, day counter ttl, most candidates to look at, owner as JSON.
# Moves the requests whose attempt time has come from `later` to `ready`, then takes the head of `ready`
# (earliest due): a number whose daily cap is used up is put back for the next day and the next head
# is looked at. Returns {id, attempt n, fence, the request hash} or false.
# KEYS[1] ready, KEYS[2] later; ARGV[1] request head, ARGV[2] now. The requests whose attempt time has
# come move from `later` to `ready`, scored by their due time (earliest deadline first).
_PROMOTE = """
local ready = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[2])
for _, m in ipairs(ready) do
  local due = redis.call('HGET', ARGV[1] .. string.match(m, '[^:]+$'), 'due_at')
  redis.call('ZREM', KEYS[2], m)
  if due then redis.call('ZADD', KEYS[1], due, m) end
end
"""

CLAIM = (
    _PROMOTE
    + """
local cap = tonumber(ARGV[7])
for _ = 1, tonumber(ARGV[10]) do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #head == 0 then return false end
  local m = head[1]
  local id = string.match(m, '[^:]+$')
  local key = ARGV[1] .. id
  redis.call('ZREM', KEYS[1], m)
  local f = redis.call('HMGET', key, 'status', 'number')
  if f[1] == 'open' then
    local day = ARGV[5] .. f[2] .. ARGV[6]
    if cap > 0 and tonumber(redis.call('GET', day) or '0') >= cap then
      redis.call('HSET', key, 'next_attempt_at', ARGV[8])
      redis.call('ZADD', KEYS[2], ARGV[8], m)
    else
      redis.call('ZREM', KEYS[3], m)
      local fence = redis.call('HINCRBY', key, 'fence', 1)
      local n = redis.call('HINCRBY', key, 'n', 1)
      local attempt = '{"n":' .. n .. ',"fence":' .. fence .. ',"owner":' .. ARGV[11]
        .. ',"started_at":' .. ARGV[2] .. '}'
      redis.call('HSET', key, 'status', 'dispatching', 'lease_owner', ARGV[3],
        'lease_expires_at', ARGV[4], 'a:' .. n, attempt)
      redis.call('INCR', day)
      redis.call('EXPIRE', day, ARGV[9])
      redis.call('ZADD', KEYS[4], ARGV[4], id)
      redis.call('SADD', KEYS[5], id)
      return {id, n, fence, redis.call('HGETALL', key)}
    end
  end
end
return false
"""
)

# KEYS: ready, later. ARGV: request head, now, how many. The ready requests, earliest due first, as
# hashes (after the promotion above): what the dispatcher weighs against the callers waiting live.
READY = (
    _PROMOTE
    + """
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[3]) - 1)) do
  local h = redis.call('HGETALL', ARGV[1] .. string.match(m, '[^:]+$'))
  if #h > 0 then table.insert(out, h) end
end
return out
"""
)

# KEYS: the hold. ARGV: owner, milliseconds. Take a short exclusive hold (an operator being dialled, a
# group whose reservations one engine manages), or renew one this owner has. Returns 1 or 0.
HOLD = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

# KEYS: the hold. ARGV: owner. Let go of a hold only if this owner has it.
UNHOLD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: request, leases. ARGV: fence, id, new lease expiry ('' to keep), then field/value pairs.
# Returns 1, or 0 when the fence is not current or the request is not dispatching.
FENCED_SET = """
local f = redis.call('HMGET', KEYS[1], 'fence', 'status')
if f[1] ~= ARGV[1] or f[2] ~= 'dispatching' then return 0 end
if #ARGV > 3 then redis.call('HSET', KEYS[1], unpack(ARGV, 4)) end
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'lease_expires_at', ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
end
return 1
"""

# KEYS: request, leases. ARGV: expected fence, now, new owner, new lease expiry, id.
# Returns the new fence; -1 when the fence is not current or the request not dispatching; -2 when the
# lease has not expired.
ADOPT = """
local f = redis.call('HMGET', KEYS[1], 'fence', 'status', 'lease_expires_at')
if f[1] ~= ARGV[1] or f[2] ~= 'dispatching' then return -1 end
if tonumber(f[3] or '0') > tonumber(ARGV[2]) then return -2 end
local fence = redis.call('HINCRBY', KEYS[1], 'fence', 1)
redis.call('HSET', KEYS[1], 'lease_owner', ARGV[3], 'lease_expires_at', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
return fence
"""

# KEYS: request, active(number), open, ready, later, leases, inflight.
# ARGV: fence, id, group, new status (done, failed, open), next_attempt_at, now, attempt field,
#       attempt JSON, retention seconds.
# A pending cancel turns anything but done into cancelled. Returns the status written, or false when
# the fence is not current or the request is not dispatching.
FINISH = """
local f = redis.call('HMGET', KEYS[1], 'fence', 'status', 'cancel_reason', 'member', 'due_at')
if f[1] ~= ARGV[1] or f[2] ~= 'dispatching' then return false end
local status = ARGV[4]
if status ~= 'done' and f[3] and f[3] ~= '' then status = 'cancelled' end
redis.call('HSET', KEYS[1], ARGV[7], ARGV[8], 'status', status, 'next_attempt_at', ARGV[5])
redis.call('HDEL', KEYS[1], 'lease_owner', 'lease_expires_at')
redis.call('ZREM', KEYS[6], ARGV[2])
redis.call('SREM', KEYS[7], ARGV[2])
if status == 'open' then
  redis.call('ZADD', KEYS[3], f[5], f[4])
  if tonumber(ARGV[5]) <= tonumber(ARGV[6]) then
    redis.call('ZADD', KEYS[4], f[5], f[4])
  else
    redis.call('ZADD', KEYS[5], ARGV[5], f[4])
  end
else
  if redis.call('HGET', KEYS[2], ARGV[3]) == ARGV[2] then redis.call('HDEL', KEYS[2], ARGV[3]) end
  redis.call('EXPIRE', KEYS[1], ARGV[9])
end
return status
"""

# KEYS: request, later. ARGV: when the first attempt may now be placed.
# An open request still waiting in `later` (held while the citizen was on the line) gets that attempt
# time; a request already taken, cancelled or moved on is left as it is. Returns 1 when moved, else 0.
START_AT = """
local f = redis.call('HMGET', KEYS[1], 'status', 'member')
if f[1] ~= 'open' or not redis.call('ZSCORE', KEYS[2], f[2]) then return 0 end
redis.call('HSET', KEYS[1], 'next_attempt_at', ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[1], f[2])
return 1
"""

# KEYS: request, active(number), open, ready, later. ARGV: id, group, reason, retention seconds.
# Returns 'cancelled' (it was open), 'pending' (dispatching: it ends cancelled unless the attempt under
# way reaches the citizen), the status it already had, or false (no such request).
CANCEL = """
local f = redis.call('HMGET', KEYS[1], 'status', 'member')
if f[1] == 'open' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'cancel_reason', ARGV[3])
  redis.call('ZREM', KEYS[3], f[2])
  redis.call('ZREM', KEYS[4], f[2])
  redis.call('ZREM', KEYS[5], f[2])
  if redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
  redis.call('EXPIRE', KEYS[1], ARGV[4])
  return 'cancelled'
end
if f[1] == 'dispatching' then
  redis.call('HSET', KEYS[1], 'cancel_reason', ARGV[3])
  return 'pending'
end
return f[1]
"""
