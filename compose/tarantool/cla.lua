-- Client Analyze's storage in Tarantool: the provider cache, the job queue and (cla_records.lua) the
-- records — threads, reports, feedback, documents, API keys, audit — per namespace (the
-- storage service's `storage.tarantool.namespace`), so several deployments or test runs can share one
-- instance. Every function takes the namespace first. Times are passed in by the caller, in ms.
--
-- Migrations are box.once blocks named <namespace>_v<n>: they run once per namespace and data directory,
-- in order, and re-running setup is harmless. Add a new step below the last; never edit an old one.

local fiber = require('fiber')
local records = require('cla_records')
local blobs = require('cla_chunks')

local cla = {}

-- A due time for jobs that are not due (running, finished): sorts after every real time.
local NEVER = 9007199254740991

local function space(ns, name)
    local s = box.space[ns .. '_' .. name]
    if s == nil then error('namespace ' .. ns .. ' is not set up (call cla.setup)') end
    return s
end

local migrations = {
    -- v1: cache entries by key and by expiry; jobs with their events.
    function(ns)
        local cache = box.schema.space.create(ns .. '_cache', {if_not_exists = true, format = {
            {name = 'key', type = 'string'},
            {name = 'value', type = 'string'},
            {name = 'source', type = 'unsigned'},
            {name = 'created_at', type = 'integer'},
            {name = 'expires_at', type = 'integer'},
        }})
        cache:create_index('primary', {type = 'TREE', parts = {{field = 'key', type = 'string'}}, if_not_exists = true})
        cache:create_index('expires', {type = 'TREE', unique = false,
            parts = {{field = 'expires_at', type = 'integer'}}, if_not_exists = true})

        local jobs = box.schema.space.create(ns .. '_jobs', {if_not_exists = true, format = {
            {name = 'id', type = 'string'},
            {name = 'version', type = 'unsigned'},
            {name = 'state', type = 'unsigned'},
            {name = 'inn', type = 'string'},
            {name = 'idempotency_key', type = 'string'},
            {name = 'due_at', type = 'integer'},
            {name = 'created_at', type = 'integer'},
            {name = 'record', type = 'string'},
            {name = 'errors', type = 'array'},
            {name = 'cancel_requested', type = 'boolean'},
        }})
        jobs:create_index('primary', {type = 'TREE', parts = {{field = 'id', type = 'string'}}, if_not_exists = true})
        jobs:create_index('idempotency', {type = 'TREE', unique = false,
            parts = {{field = 'idempotency_key', type = 'string'}}, if_not_exists = true})
        jobs:create_index('due', {type = 'TREE', unique = false,
            parts = {{field = 'due_at', type = 'integer'}, {field = 'id', type = 'string'}}, if_not_exists = true})
        jobs:create_index('state', {type = 'TREE', unique = false,
            parts = {{field = 'state', type = 'unsigned'}}, if_not_exists = true})

        local events = box.schema.space.create(ns .. '_job_events', {if_not_exists = true, format = {
            {name = 'job_id', type = 'string'},
            {name = 'sequence', type = 'unsigned'},
            {name = 'event', type = 'string'},
        }})
        events:create_index('primary', {type = 'TREE',
            parts = {{field = 'job_id', type = 'string'}, {field = 'sequence', type = 'unsigned'}}, if_not_exists = true})
    end,
    -- v2: threads, reports, feedback, documents, the search index, API keys and audit (cla_records.lua).
    records.schema,
    -- v3: cache entries move to <ns>_cache_entries with their values in chunks (cla_chunks.lua). Additive:
    -- <ns>_cache stays as it was for a storage rolled back to before this step (what it held is not
    -- carried over: it is a cache); a later step may drop it.
    function(ns)
        local entries = box.schema.space.create(ns .. '_cache_entries', {if_not_exists = true, format = {
            {name = 'key', type = 'string'},
            {name = 'size', type = 'unsigned'},
            {name = 'source', type = 'unsigned'},
            {name = 'created_at', type = 'integer'},
            {name = 'expires_at', type = 'integer'},
            {name = 'chunks', type = 'unsigned'},
        }})
        entries:create_index('primary', {type = 'TREE', parts = {{field = 'key', type = 'string'}}, if_not_exists = true})
        entries:create_index('expires', {type = 'TREE', unique = false,
            parts = {{field = 'expires_at', type = 'integer'}}, if_not_exists = true})
        local chunks = box.schema.space.create(ns .. '_cache_chunks', {if_not_exists = true, format = {
            {name = 'key', type = 'string'},
            {name = 'n', type = 'unsigned'},
            {name = 'data', type = 'string'},
        }})
        chunks:create_index('primary', {type = 'TREE',
            parts = {{field = 'key', type = 'string'}, {field = 'n', type = 'unsigned'}}, if_not_exists = true})
    end,
}

--- Runs the migrations of `ns` not yet run; returns the schema version.
function cla.setup(ns)
    assert(type(ns) == 'string' and ns:match('^[a-z][a-z0-9_]*$'), 'namespace: lowercase letters, digits and _')
    for version, migrate in ipairs(migrations) do
        box.once(ns .. '_v' .. version, migrate, ns)
    end
    return #migrations
end

-- Cache ---------------------------------------------------------------------------------------------
-- An entry is {key, size, source, created_at, expires_at, chunks} in <ns>_cache_entries; its value is in
-- <ns>_cache_chunks {key, n, data}, cut by cla_chunks.lua.

local function summary(t)
    return {t.key, t.source, t.size, t.created_at, t.expires_at}
end

local function delete_value(ns, key, count)
    local chunks = space(ns, 'cache_chunks')
    for n = 1, count do chunks:delete({key, n}) end
end

function cla.cache_get(ns, key, now)
    local t = space(ns, 'cache_entries'):get(key)
    if t == nil or t.expires_at <= now then return nil end
    local parts = {}
    for _, c in space(ns, 'cache_chunks'):pairs({key}, {iterator = 'EQ'}) do table.insert(parts, c.data) end
    return {t.key, table.concat(parts):sub(1, t.size), t.source, t.created_at, t.expires_at}
end

function cla.cache_set(ns, key, value, source, created_at, expires_at)
    local parts = blobs.split(value)
    box.atomic(function()
        local entries, chunks = space(ns, 'cache_entries'), space(ns, 'cache_chunks')
        local old = entries:get(key)
        if old ~= nil then delete_value(ns, key, old.chunks) end
        for n, part in ipairs(parts) do chunks:insert({key, n, part}) end
        entries:replace({key, #value, source, created_at, expires_at, #parts})
    end)
end

local function delete_entry(ns, key)
    local t = space(ns, 'cache_entries'):delete(key)
    if t ~= nil then delete_value(ns, key, t.chunks) end
    return t
end

function cla.cache_delete(ns, key)
    return box.atomic(function() return delete_entry(ns, key) == nil and 0 or 1 end)
end

local function with_prefix(s, prefix, after, fn)
    local start, iterator = prefix, 'GE'
    if after ~= nil and after >= prefix then start, iterator = after, 'GT' end
    for _, t in s.index.primary:pairs(start, {iterator = iterator}) do
        if t.key:sub(1, #prefix) ~= prefix then break end
        if fn(t) == false then break end
    end
end

function cla.cache_delete_prefix(ns, prefix)
    local keys = {}
    with_prefix(space(ns, 'cache_entries'), prefix, nil, function(t) table.insert(keys, t.key) end)
    box.begin()
    for _, key in ipairs(keys) do delete_entry(ns, key) end
    box.commit()
    return #keys
end

function cla.cache_list(ns, prefix, after, limit, now)
    local rows = {}
    with_prefix(space(ns, 'cache_entries'), prefix, after, function(t)
        if t.expires_at > now then table.insert(rows, summary(t)) end
        return #rows < limit
    end)
    return rows
end

function cla.cache_count(ns, prefix, now)
    local n = 0
    with_prefix(space(ns, 'cache_entries'), prefix, nil, function(t)
        if t.expires_at > now then n = n + 1 end
    end)
    return n
end

--- Live entries and bytes per source: {{source, entries, bytes}, …}.
function cla.cache_totals(ns, now)
    local totals = {}
    for _, t in space(ns, 'cache_entries').index.expires:pairs(now, {iterator = 'GT'}) do
        local total = totals[t.source] or {t.source, 0, 0}
        total[2] = total[2] + 1
        total[3] = total[3] + t.size
        totals[t.source] = total
    end
    local rows = {}
    for _, total in pairs(totals) do table.insert(rows, total) end
    return rows
end

--- Deletes entries with expires_at <= now, in batches that yield between them.
function cla.cache_remove_expired(ns, now)
    local s = space(ns, 'cache_entries')
    local removed = 0
    while true do
        local keys = {}
        for _, t in s.index.expires:pairs(now, {iterator = 'LE'}) do
            table.insert(keys, t.key)
            if #keys >= 1000 then break end
        end
        if #keys == 0 then return removed end
        box.begin()
        for _, key in ipairs(keys) do delete_entry(ns, key) end
        box.commit()
        removed = removed + #keys
        fiber.yield()
    end
end

--- Optional: an expiry fiber on the wall clock, for deployments without the storage service's sweeper.
function cla.start_expiry()
    fiber.create(function()
        fiber.name('cla_expiry')
        while true do
            for _, s in box.space._vspace:pairs() do
                local ns = s[3]:match('^(.*)_cache_entries$')
                if ns ~= nil and box.space[ns .. '_jobs'] ~= nil then
                    pcall(cla.cache_remove_expired, ns, math.floor(fiber.time() * 1000))
                end
            end
            fiber.sleep(1)
        end
    end)
end

-- Jobs ----------------------------------------------------------------------------------------------
-- A job tuple: {id, version, state, inn, idempotency_key, due_at, created_at, record, errors, cancel}.
-- The caller decides every transition; saves are compare-and-set on the version so that two storage
-- processes cannot both take a job.

--- Inserts the job (version 1) or returns the one with the same idempotency key: {tuple, created}.
function cla.jobs_enqueue(ns, job)
    local s = space(ns, 'jobs')
    local key = job[5]
    if key ~= '' then
        local existing = s.index.idempotency:select(key, {limit = 1})[1]
        if existing ~= nil then return {existing, false} end
    end
    job[2] = 1
    return {s:insert(job), true}
end

function cla.jobs_get(ns, id)
    return space(ns, 'jobs'):get(id)
end

--- Saves the job if it is still at `version`; the saved tuple, or nil on a conflict.
function cla.jobs_save(ns, job, version)
    local s = space(ns, 'jobs')
    local current = s:get(job[1])
    if current == nil or current.version ~= version then return nil end
    job[2] = version + 1
    return s:replace(job)
end

--- Like jobs_save, and stores the event with `sequence` if that is still the job's next one.
function cla.jobs_save_with_event(ns, job, version, sequence, event)
    local s, events = space(ns, 'jobs'), space(ns, 'job_events')
    local current = s:get(job[1])
    if current == nil or current.version ~= version then return nil end
    local last = events.index.primary:max({job[1]})
    if (last == nil and 0 or last.sequence) + 1 ~= sequence then return nil end
    box.begin()
    events:insert({job[1], sequence, event})
    job[2] = version + 1
    local saved = s:replace(job)
    box.commit()
    return saved
end

--- The job with the sequence number its next event gets: {tuple, sequence}, or nil.
function cla.jobs_get_for_event(ns, id)
    local job = space(ns, 'jobs'):get(id)
    if job == nil then return nil end
    local last = space(ns, 'job_events').index.primary:max({id})
    return {job, (last == nil and 0 or last.sequence) + 1}
end

--- Jobs due at `now`, earliest first.
function cla.jobs_due(ns, now, limit)
    local rows = {}
    for _, t in space(ns, 'jobs').index.due:pairs({}, {iterator = 'GE'}) do
        if t.due_at > now or #rows >= limit then break end
        table.insert(rows, t)
    end
    return rows
end

--- Jobs in `states` (all when empty) for `inn` (any when nil), by id after `after`.
function cla.jobs_list(ns, states, inn, after, limit)
    local wanted = {}
    for _, state in ipairs(states) do wanted[state] = true end
    local rows = {}
    local iterator = after == nil and 'GE' or 'GT'
    for _, t in space(ns, 'jobs').index.primary:pairs(after == nil and '' or after, {iterator = iterator}) do
        if (#states == 0 or wanted[t.state]) and (inn == nil or t.inn == inn) then
            table.insert(rows, t)
            if #rows >= limit then break end
        end
    end
    return rows
end

function cla.jobs_events(ns, id, after)
    local rows = {}
    for _, t in space(ns, 'job_events').index.primary:pairs({id, after}, {iterator = 'GT'}) do
        if t.job_id ~= id then break end
        table.insert(rows, t.event)
    end
    return rows
end

--- {{state, count}, …} for the states that have jobs.
function cla.jobs_count_by_state(ns)
    local index = space(ns, 'jobs').index.state
    local rows = {}
    local t = index:min()
    while t ~= nil do
        table.insert(rows, {t.state, index:count(t.state)})
        t = index:select(t.state, {iterator = 'GT', limit = 1})[1]
    end
    return rows
end

--- Creation time of the oldest job in `states` that may run at `now`: in state `queued`, or due.
function cla.jobs_oldest_created(ns, states, queued, now)
    local index = space(ns, 'jobs').index.state
    local oldest = nil
    for _, state in ipairs(states) do
        for _, t in index:pairs(state) do
            local runnable = queued == nil or state == queued or t.due_at <= now
            if runnable and (oldest == nil or t.created_at < oldest) then oldest = t.created_at end
        end
    end
    return oldest
end

function cla.jobs_delete(ns, ids)
    local s, events = space(ns, 'jobs'), space(ns, 'job_events')
    local deleted = 0
    box.begin()
    for _, id in ipairs(ids) do
        if s:delete(id) ~= nil then deleted = deleted + 1 end
        local sequences = {}
        for _, e in events.index.primary:pairs({id}) do table.insert(sequences, e.sequence) end
        for _, sequence in ipairs(sequences) do events:delete({id, sequence}) end
    end
    box.commit()
    return deleted
end

-- Records: cla.records_<name> for each function of cla_records.lua.
for name, fn in pairs(records) do
    if name ~= 'schema' then cla['records_' .. name] = fn end
end

--- memtx memory: {quota_used, quota_size, arena_used, items_used} in bytes (storage exports them as gauges).
function cla.memory()
    local slab = box.slab.info()
    return {slab.quota_used, slab.quota_size, slab.arena_used, slab.items_used}
end

cla.NEVER = NEVER
return cla
