/**
 * The Lua scripts of Redis history: each one atomic step of a room's log (redis-history.ts says which
 * keys; store/redis-keys.ts names them). A room's side keys, one per kept message, are built in Lua
 * from the room's key prefix (same slot):
 *   <prefix>rx:<id>   hash "<emoji>\n<member id>" -> 1: who reacted with what (the counts are in the message)
 *   <prefix>rel:<id>  set of entry ids that quote the message's text: replies to it, its edits
 * They go when the message is trimmed or deleted, and expire with the room.
 */

/** Helpers every script starts with. */
const LIB = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- The first n code points of a UTF-8 string (the page and the parser count characters so).
local function cut(s, n)
  local i, count, len = 1, 0, #s
  while i <= len do
    if count == n then return string.sub(s, 1, i - 1) end
    local c = string.byte(s, i)
    if c < 128 then i = i + 1 elseif c < 224 then i = i + 2 elseif c < 240 then i = i + 3 else i = i + 4 end
    count = count + 1
  end
  return s
end
-- An entry's header line and frame.
local function split(entry)
  local nl = string.find(entry, '\\n', 1, true)
  return string.sub(entry, 1, nl - 1), string.sub(entry, nl + 1)
end
local function entry_at(key, id)
  return redis.call('ZRANGEBYSCORE', key, id, id)[1]
end
-- Swaps the entry with this id for a new one, keeping the byte counter exact.
local function replace(key, bytes_key, id, old, new)
  redis.call('ZREMRANGEBYSCORE', key, id, id)
  redis.call('ZADD', key, id, new)
  redis.call('INCRBY', bytes_key, #new - #old)
end
-- Rewrites the frame of the entry with this id through fn (which changes the decoded table).
local function rewrite(key, bytes_key, id, fn)
  local e = entry_at(key, id)
  if not e then return false end
  local h, b = split(e)
  local f = cjson.decode(b)
  fn(f)
  replace(key, bytes_key, id, e, h .. '\\n' .. cjson.encode(f))
  return true
end
local function not_member(restricted, acl, aclm, member)
  return restricted and (redis.call('EXISTS', acl) == 0 or redis.call('HEXISTS', aclm, member) == 0)
end
-- The end of every stored entry: its dedup record, the room's keys renewed, the entry published.
local function commit(cid_key, record, dedup_ttl, renew, ttl, channel, entry)
  redis.call('SET', cid_key, record, 'EX', dedup_ttl)
  for _, k in ipairs(renew) do redis.call('EXPIRE', k, ttl) end
  redis.call('PUBLISH', channel, entry)
end
local function dedup(key)
  local d = redis.call('GET', key)
  if not d then return nil end
  local sep = string.find(d, ':', 1, true)
  return {tonumber(string.sub(d, 1, sep - 1)), tonumber(string.sub(d, sep + 1)), 1}
end
`;

// KEYS: seq, hist, cid, hbytes, acl, aclm, epoch. ARGV: the entry template (5), max, dedupTtlSec, channel, maxBytes,
// roomTtlSec, restricted ('1'/'0'), the sender's member id, replyTo (0: none), the room's key prefix, quote length,
// a new epoch (kept when the room has none).
// -> {id, ts, 0} stored; {id, ts, 1} a repeated cid; {0, 0, 2} not on the list; {0, 0, 3} no such message to reply to.
export const APPEND_SCRIPT = `${LIB}
local restricted = ARGV[11] == '1'
if not_member(restricted, KEYS[5], KEYS[6], ARGV[12]) then return {0, 0, 2} end
local d = dedup(KEYS[3])
if d then return d end
local reply_to, prefix = tonumber(ARGV[13]), ARGV[14]
local quote
if reply_to > 0 then
  local t = entry_at(KEYS[2], reply_to)
  if not t then return {0, 0, 3} end
  local _, body = split(t)
  local f = cjson.decode(body)
  if f.deleted then return {0, 0, 3} end
  local q = {id = f.id, from = f.from, text = cut(f.text, tonumber(ARGV[15]))}
  if f.attachments and #f.attachments > 0 then q.files = #f.attachments end
  quote = cjson.encode(q)
end
local id = redis.call('INCR', KEYS[1])
-- The room's history epoch is made with its log (a log that starts again from 1 gets a new one).
redis.call('SET', KEYS[7], ARGV[16], 'NX')
local ts = now_ms()
local tss = string.format('%d', ts)
-- The entry template's holes, in order: id, ts, id, ts (bus/envelope.ts messageEntryTemplate).
local msg = ARGV[1] .. id .. ARGV[2] .. tss .. ARGV[3] .. id .. ARGV[4] .. tss .. ARGV[5]
if quote then
  msg = string.sub(msg, 1, -2) .. ',"replyTo":' .. quote .. '}'
  redis.call('SADD', prefix .. 'rel:' .. reply_to, id)
  redis.call('EXPIRE', prefix .. 'rel:' .. reply_to, ARGV[10])
end
redis.call('ZADD', KEYS[2], id, msg)
local bytes = redis.call('INCRBY', KEYS[4], #msg)
local max, maxBytes = tonumber(ARGV[6]), tonumber(ARGV[9])
local n = redis.call('ZCARD', KEYS[2])
-- Oldest first, never the newest: a room keeps at most max messages and maxBytes of them.
while n > 1 and (n > max or bytes > maxBytes) do
  local old = redis.call('ZPOPMIN', KEYS[2])
  bytes = redis.call('INCRBY', KEYS[4], -#old[1])
  redis.call('DEL', prefix .. 'rx:' .. old[2], prefix .. 'rel:' .. old[2])
  n = n - 1
end
local renew = {KEYS[1], KEYS[2], KEYS[4], KEYS[7]}
if restricted then renew[5], renew[6] = KEYS[5], KEYS[6] end
commit(KEYS[3], id .. ':' .. tss, ARGV[7], renew, ARGV[10], ARGV[8], msg)
return {id, ts, 0}
`;

// KEYS: seq, hist, cid, hbytes, acl, aclm, upd, ubytes, epoch (renewed with the room). ARGV: the update template (6), kind (edit|delete|react),
// target, member id, restricted, text or emoji, on ('1'/'0'), dedupTtlSec, roomTtlSec, channel, key prefix,
// max (entries updates are kept within), maxBytes, reactionsMax, quote length.
// -> {id, ts, 0}; {id, ts, 1} a repeated cid; {0, 0, 2} not on the list; {0, 0, 3} no such message (or deleted);
//    {0, 0, 4} not the author (or owner); {0, 0, 5} too many distinct emoji; {last, now, 6} changed nothing.
export const CHANGE_SCRIPT = `${LIB}
local restricted = ARGV[10] == '1'
local kind, target, member, prefix = ARGV[7], tonumber(ARGV[8]), ARGV[9], ARGV[16]
if not_member(restricted, KEYS[5], KEYS[6], member) then return {0, 0, 2} end
local d = dedup(KEYS[3])
if d then return d end
local old = entry_at(KEYS[2], target)
if not old then return {0, 0, 3} end
local header, body = split(old)
local f = cjson.decode(body)
if f.deleted then return {0, 0, 3} end
local x = ''
if kind == 'edit' then
  if f.from.id ~= member then return {0, 0, 4} end
elseif kind == 'delete' then
  if f.from.id ~= member and (not restricted or redis.call('HGET', KEYS[5], 'owner') ~= member) then return {0, 0, 4} end
else
  local rx, emoji = prefix .. 'rx:' .. target, ARGV[11]
  local list = f.reactions or {}
  local at
  for i, r in ipairs(list) do if r.emoji == emoji then at = i end end
  local changed
  if ARGV[12] == '1' then
    if not at and #list >= tonumber(ARGV[19]) then return {0, 0, 5} end
    changed = redis.call('HSETNX', rx, emoji .. '\\n' .. member, '1') == 1
    if changed then
      if at then list[at].count = list[at].count + 1 else list[#list + 1] = {emoji = emoji, count = 1}; at = #list end
      x = list[at].count
    end
  else
    changed = redis.call('HDEL', rx, emoji .. '\\n' .. member) == 1
    x = 0
    if changed and at then
      list[at].count = list[at].count - 1
      x = list[at].count
      if x <= 0 then table.remove(list, at); x = 0 end
    end
  end
  if not changed then return {tonumber(redis.call('GET', KEYS[1]) or '0'), now_ms(), 6} end
  redis.call('EXPIRE', rx, ARGV[14])
  if #list > 0 then f.reactions = list else f.reactions = nil end
  x = string.format('%d', x)
end
local id = redis.call('INCR', KEYS[1])
local ts = now_ms()
local tss = string.format('%d', ts)
local rel = prefix .. 'rel:' .. target
if kind == 'edit' then
  f.text = ARGV[11]
  f.editedAt = ts
  x = tss
  -- Replies quote the current text.
  local q = cut(ARGV[11], tonumber(ARGV[20]))
  for _, rid in ipairs(redis.call('SMEMBERS', rel)) do
    rewrite(KEYS[2], KEYS[4], rid, function(g) if g.replyTo then g.replyTo.text = q end end)
  end
  redis.call('SADD', rel, id)
  redis.call('EXPIRE', rel, ARGV[14])
elseif kind == 'delete' then
  f.text = ''
  f.deleted = true
  f.replyTo, f.attachments, f.reactions, f.editedAt = nil, nil, nil, nil
  -- Its text leaves storage: the quotes of replies, and the text of its edits.
  for _, rid in ipairs(redis.call('SMEMBERS', rel)) do
    if not rewrite(KEYS[2], KEYS[4], rid, function(g) if g.replyTo then g.replyTo.text = ''; g.replyTo.files = nil end end) then
      rewrite(KEYS[7], KEYS[8], rid, function(g) if g.edit then g.edit.text = '' end end)
    end
  end
  redis.call('DEL', rel, prefix .. 'rx:' .. target)
end
replace(KEYS[2], KEYS[4], target, old, header .. '\\n' .. cjson.encode(f))
local entry = ARGV[1] .. id .. ARGV[2] .. tss .. ARGV[3] .. id .. ARGV[4] .. tss .. ARGV[5] .. x .. ARGV[6]
redis.call('ZADD', KEYS[7], id, entry)
local ub = redis.call('INCRBY', KEYS[8], #entry)
-- Updates are kept while among the newest max entries, within maxBytes; they never push a message out.
local floor, maxBytes = id - tonumber(ARGV[17]), tonumber(ARGV[18])
while true do
  local o = redis.call('ZRANGE', KEYS[7], 0, 0, 'WITHSCORES')
  if not o[1] or (tonumber(o[2]) > floor and ub <= maxBytes) then break end
  redis.call('ZREMRANGEBYSCORE', KEYS[7], o[2], o[2])
  ub = redis.call('INCRBY', KEYS[8], -#o[1])
end
local renew = {KEYS[1], KEYS[2], KEYS[4], KEYS[7], KEYS[8], KEYS[9]}
if restricted then renew[7], renew[8] = KEYS[5], KEYS[6] end
commit(KEYS[3], id .. ':' .. tss, ARGV[13], renew, ARGV[14], ARGV[15], entry)
return {id, ts, 0}
`;

// KEYS: seq, hist, upd, epoch. ARGV: after (-1: none), latest, maxBytes; for a member's join also: a new epoch
// (kept when the room has none), roomTtlSec, the client's epoch ('' : none given).
// -> {last, truncated, [entry, score, …], epoch, reset}: with after, every kept entry (messages and updates) after
// it in id order, the newest within maxBytes; truncated when an id in (after, last] is not among them. For a
// join: the room's epoch; reset (1) when the client's epoch is not the room's or its after is beyond last —
// the history it had is gone — and then the newest `latest` messages as without after.
export const RESUME_SCRIPT = `
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local after = tonumber(ARGV[1])
local epoch, reset = '', 0
if ARGV[4] then
  epoch = redis.call('GET', KEYS[4])
  if not epoch then
    -- A room without one (new, or its log from before epochs): made now, and never to outlive the seq
    -- counter (ids that start again from 1 must come with a new epoch).
    epoch = ARGV[4]
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then redis.call('SET', KEYS[4], epoch, 'PX', ttl) else redis.call('SET', KEYS[4], epoch, 'EX', ARGV[5]) end
  end
  if after >= 0 and ARGV[6] ~= '' and (ARGV[6] ~= epoch or after > last) then reset, after = 1, -1 end
end
if after < 0 then
  local n = tonumber(ARGV[2])
  if n <= 0 then return {last, reset, {}, epoch, reset} end
  return {last, reset, redis.call('ZRANGE', KEYS[2], -n, -1, 'WITHSCORES'), epoch, reset}
end
local m = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. after, '+inf', 'WITHSCORES')
local u = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. after, '+inf', 'WITHSCORES')
local all, i, j = {}, 1, 1
while i <= #m or j <= #u do
  if j > #u or (i <= #m and tonumber(m[i + 1]) < tonumber(u[j + 1])) then
    all[#all + 1] = m[i]; all[#all + 1] = m[i + 1]; i = i + 2
  else
    all[#all + 1] = u[j]; all[#all + 1] = u[j + 1]; j = j + 2
  end
end
local total, first = 0, 1
for k = 1, #all, 2 do total = total + #all[k] end
while total > tonumber(ARGV[3]) and first < #all - 1 do
  total = total - #all[first]
  first = first + 2
end
local out = {}
for k = first, #all do out[#out + 1] = all[k] end
local truncated = 0
if #out / 2 < last - after then truncated = 1 end
return {last, truncated, out, epoch, reset}
`;
