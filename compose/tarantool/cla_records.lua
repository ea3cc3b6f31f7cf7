-- Client Analyze's records in Tarantool: threads, report versions, feedback, rendered documents, API keys
-- and the audit log (storage.backend: tarantool). Loaded by cla.lua, which runs `schema` as a migration and
-- exports the functions; every function takes the namespace first. The storage service computes ids,
-- search words (folded) and serialized records; these functions keep the spaces consistent, each in one
-- transaction.
--
-- Tuples:
--   threads    {id, inn, company_name, name_folded, notes, created_at, updated_at, report_count, last_version,
--               latest_report_id ('' when none), latest_score, latest_level, seq, words}
--   reports    {id, thread_id, version, parent_report_id, job_id ('' when none), inn, company_name, name_folded,
--               score, level, confidence, marker_count, has_pdf, created_at, record_size, record_chunks};
--              the serialized report in report_chunks
--   feedback   {id, report_id, thread_id, record}
--   documents  {report_id, format, content_type, size, sha256, created_at, chunks}; data in document_chunks
--
-- Serialized reports and documents are kept in chunks cut by cla_chunks.lua (see why there).
--   words      {word, seq}: the search index (every word of a thread's name, INN, latest summary, notes)
--   api_keys   {id, secret_hash, revoked, record};  audit {id, at, actor, action, record}

local fiber = require('fiber')
local blobs = require('cla_chunks')

local records = {}

-- Long scans (counts, rare name filters, statistics) yield every this many rows, so that they do not stall
-- every other request on the instance; memtx TREE iterators stay valid across a yield.
local YIELD_EVERY = 1000

local function space(ns, name)
    local s = box.space[ns .. '_' .. name]
    if s == nil then error('namespace ' .. ns .. ' is not set up (call cla.setup)') end
    return s
end

--- Migration v2: the record spaces.
function records.schema(ns)
    local function create(name, format)
        return box.schema.space.create(ns .. '_' .. name, {if_not_exists = true, format = format})
    end
    local function index(s, name, parts, unique)
        s:create_index(name, {type = 'TREE', unique = unique ~= false, parts = parts, if_not_exists = true})
    end
    local threads = create('threads', {
        {name = 'id', type = 'string'}, {name = 'inn', type = 'string'}, {name = 'company_name', type = 'string'},
        {name = 'name_folded', type = 'string'}, {name = 'notes', type = 'string'},
        {name = 'created_at', type = 'integer'}, {name = 'updated_at', type = 'integer'},
        {name = 'report_count', type = 'unsigned'}, {name = 'last_version', type = 'unsigned'},
        {name = 'latest_report_id', type = 'string'}, {name = 'latest_score', type = 'number'},
        {name = 'latest_level', type = 'unsigned'}, {name = 'seq', type = 'unsigned'}, {name = 'words', type = 'array'},
    })
    index(threads, 'primary', {{field = 'id', type = 'string'}})
    index(threads, 'inn', {{field = 'inn', type = 'string'}})
    index(threads, 'seq', {{field = 'seq', type = 'unsigned'}})

    local reports = create('reports', {
        {name = 'id', type = 'string'}, {name = 'thread_id', type = 'string'}, {name = 'version', type = 'unsigned'},
        {name = 'parent_report_id', type = 'string'}, {name = 'job_id', type = 'string'}, {name = 'inn', type = 'string'},
        {name = 'company_name', type = 'string'}, {name = 'name_folded', type = 'string'},
        {name = 'score', type = 'number'}, {name = 'level', type = 'unsigned'}, {name = 'confidence', type = 'number'},
        {name = 'marker_count', type = 'unsigned'}, {name = 'has_pdf', type = 'boolean'},
        {name = 'created_at', type = 'integer'}, {name = 'record_size', type = 'unsigned'},
        {name = 'record_chunks', type = 'unsigned'},
    })
    index(reports, 'primary', {{field = 'id', type = 'string'}})
    index(reports, 'thread', {{field = 'thread_id', type = 'string'}, {field = 'version', type = 'unsigned'}})
    index(reports, 'job', {{field = 'job_id', type = 'string'}}, false)

    local report_chunks = create('report_chunks', {
        {name = 'report_id', type = 'string'}, {name = 'n', type = 'unsigned'}, {name = 'data', type = 'string'},
    })
    index(report_chunks, 'primary', {{field = 'report_id', type = 'string'}, {field = 'n', type = 'unsigned'}})

    local feedback = create('feedback', {
        {name = 'id', type = 'string'}, {name = 'report_id', type = 'string'}, {name = 'thread_id', type = 'string'},
        {name = 'record', type = 'string'},
    })
    index(feedback, 'primary', {{field = 'id', type = 'string'}})
    index(feedback, 'report', {{field = 'report_id', type = 'string'}, {field = 'id', type = 'string'}})
    index(feedback, 'thread', {{field = 'thread_id', type = 'string'}, {field = 'id', type = 'string'}})

    local documents = create('documents', {
        {name = 'report_id', type = 'string'}, {name = 'format', type = 'string'}, {name = 'content_type', type = 'string'},
        {name = 'size', type = 'unsigned'}, {name = 'sha256', type = 'string'}, {name = 'created_at', type = 'integer'},
        {name = 'chunks', type = 'unsigned'},
    })
    index(documents, 'primary', {{field = 'report_id', type = 'string'}, {field = 'format', type = 'string'}})
    local chunks = create('document_chunks', {
        {name = 'report_id', type = 'string'}, {name = 'format', type = 'string'}, {name = 'n', type = 'unsigned'},
        {name = 'data', type = 'string'},
    })
    index(chunks, 'primary', {{field = 'report_id', type = 'string'}, {field = 'format', type = 'string'},
        {field = 'n', type = 'unsigned'}})

    local words = create('words', {{name = 'word', type = 'string'}, {name = 'seq', type = 'unsigned'}})
    index(words, 'primary', {{field = 'word', type = 'string'}, {field = 'seq', type = 'unsigned'}})

    local keys = create('api_keys', {
        {name = 'id', type = 'string'}, {name = 'secret_hash', type = 'string'}, {name = 'revoked', type = 'boolean'},
        {name = 'record', type = 'string'},
    })
    index(keys, 'primary', {{field = 'id', type = 'string'}})
    index(keys, 'secret_hash', {{field = 'secret_hash', type = 'string'}})

    local audit = create('audit', {
        {name = 'id', type = 'string'}, {name = 'at', type = 'integer'}, {name = 'actor', type = 'string'},
        {name = 'action', type = 'string'}, {name = 'record', type = 'string'},
    })
    index(audit, 'primary', {{field = 'id', type = 'string'}})
end

-- Threads -------------------------------------------------------------------------------------------

-- A report tuple without its record's size and chunks: what lists show.
local function summary(r)
    return r:transform(15, 2)
end

-- A chunk's key: the blob's `key` parts, then the chunk's number.
local function chunk_key(key, n)
    local parts = {unpack(key)}
    table.insert(parts, n)
    return parts
end

-- Stores `value` as chunks {key…, n, data} in `chunks`; returns how many.
local function put_blob(chunks, key, value)
    local parts = blobs.split(value)
    for n, part in ipairs(parts) do
        local t = chunk_key(key, n)
        table.insert(t, part)
        chunks:replace(t)
    end
    return #parts
end

local function delete_blob(chunks, key, count)
    for n = 1, count do chunks:delete(chunk_key(key, n)) end
end

-- The serialized report.
local function record_of(ns, r)
    local parts = {}
    for _, c in space(ns, 'report_chunks'):pairs({r.id}, {iterator = 'EQ'}) do table.insert(parts, c.data) end
    return table.concat(parts):sub(1, r.record_size)
end

local function delete_report(ns, r)
    delete_blob(space(ns, 'report_chunks'), {r.id}, r.record_chunks)
    space(ns, 'reports'):delete(r.id)
end

-- A thread as the service reads it: {thread tuple without its words, latest report's summary or nil}.
local function view(ns, t)
    local latest = nil
    if t.latest_report_id ~= '' then
        local r = space(ns, 'reports'):get(t.latest_report_id)
        if r ~= nil then latest = summary(r) end
    end
    return {t:transform(14, 1), latest}
end

local function reindex(ns, thread, words)
    local index = space(ns, 'words')
    for _, word in ipairs(thread.words) do index:delete({word, thread.seq}) end
    for _, word in ipairs(words) do index:replace({word, thread.seq}) end
end

local function insert_thread(ns, id, inn, name, folded, notes, now, words)
    local threads = space(ns, 'threads')
    local last = threads.index.seq:max()
    local seq = last == nil and 1 or last.seq + 1
    local t = threads:insert({id, inn, name, folded, notes, now, now, 0, 0, '', 0, 0, seq, {}})
    reindex(ns, t, words)
    return threads:update(id, {{'=', 'words', words}})
end

--- The thread for `inn`, created with `id` if there is none: {view, created}.
function records.create_thread(ns, id, inn, name, folded, notes, now, words)
    return box.atomic(function()
        local existing = space(ns, 'threads').index.inn:get(inn)
        if existing ~= nil then return {view(ns, existing), false} end
        return {view(ns, insert_thread(ns, id, inn, name, folded, notes, now, words)), true}
    end)
end

local function find_thread(ns, id, inn)
    local threads = space(ns, 'threads')
    if id ~= nil then return threads:get(id) end
    return threads.index.inn:get(inn)
end

--- {view, {report summaries by version}}, or nil.
function records.thread(ns, id, inn)
    local t = find_thread(ns, id, inn)
    if t == nil then return nil end
    local reports = {}
    for _, r in space(ns, 'reports').index.thread:pairs({t.id}) do table.insert(reports, summary(r)) end
    return {view(ns, t), reports}
end

-- Whether a report or thread row matches the filter (see RecordFilter). `level` and `score` are the
-- row's: a report's own, a thread's latest report's.
local function matches(f, row, level, score, thread_id)
    if f.inn ~= nil and row.inn ~= f.inn then return false end
    if f.name ~= nil and not string.find(row.name_folded, f.name, 1, true) then return false end
    if f.levels ~= nil and #f.levels > 0 then
        local found = false
        for _, wanted in ipairs(f.levels) do if wanted == level then found = true end end
        if not found then return false end
    end
    if f.from ~= nil and row.created_at < f.from then return false end
    if f.to ~= nil and row.created_at >= f.to then return false end
    if f.min_score ~= nil and score < f.min_score then return false end
    if f.max_score ~= nil and score > f.max_score then return false end
    if f.thread ~= nil and thread_id ~= f.thread then return false end
    return true
end

local function thread_matches(f, t)
    return matches(f, t, t.latest_level, t.latest_score, t.id)
end

-- Threads newest first from before `before` (a seq; all when nil), while `fn` returns true.
local function threads_newest_first(ns, before, fn)
    local index = space(ns, 'threads').index.seq
    local iterator = before == nil and 'LE' or 'LT'
    local n = 0
    for _, t in index:pairs(before == nil and {} or before, {iterator = iterator}) do
        if fn(t) == false then return end
        n = n + 1
        if n % YIELD_EVERY == 0 then fiber.yield() end
    end
end

--- Views of the matching threads, newest first: {{view, seq}, …}.
function records.list_threads(ns, f, before, limit)
    local rows = {}
    if f.inn ~= nil or f.thread ~= nil then
        local t = find_thread(ns, f.thread, f.thread == nil and f.inn or nil)
        if t ~= nil and thread_matches(f, t) and (before == nil or t.seq < before) then
            table.insert(rows, {view(ns, t), t.seq})
        end
        return rows
    end
    threads_newest_first(ns, before, function(t)
        if thread_matches(f, t) then table.insert(rows, {view(ns, t), t.seq}) end
        return #rows < limit
    end)
    return rows
end

function records.count_threads(ns, f)
    if next(f) == nil then return space(ns, 'threads'):len() end
    local n = 0
    threads_newest_first(ns, nil, function(t)
        if thread_matches(f, t) then n = n + 1 end
    end)
    return n
end

-- Above every thread position.
local TOP = 9007199254740991
-- A query word matching more distinct words than this is searched by collecting every match instead.
local MAX_EXPANSION = 32

-- The distinct indexed words starting with `prefix` (at most MAX_EXPANSION + 1), jumping from word to word.
local function expand(index, prefix)
    local found = {}
    local w = index:select({prefix}, {iterator = 'GE', limit = 1})[1]
    while w ~= nil and w.word:sub(1, #prefix) == prefix and #found <= MAX_EXPANSION do
        table.insert(found, w.word)
        w = index:select({w.word, TOP}, {iterator = 'GT', limit = 1})[1]
    end
    return found
end

-- A query word's group: the indexed words it starts, each with the highest position seen at or below the
-- last bound asked (false: none left). Bounds only go down during a walk, so each word's position is looked
-- up again only when the bound passes below it.
local function group(words)
    return {words = words, at = {}}
end

-- The largest position at or below `upper` that has one of the group's words, or nil.
local function highest(index, g, upper)
    local best = nil
    for i, word in ipairs(g.words) do
        local at = g.at[i]
        if at == nil or (at and at > upper) then
            local w = index:select({word, upper}, {iterator = 'LE', limit = 1})[1]
            at = w ~= nil and w.word == word and w.seq
            g.at[i] = at
        end
        if at and (best == nil or at > best) then best = at end
    end
    return best
end

-- Positions having a word of every group, newest first, below `before`: a leapfrog walk down the index,
-- a few lookups per result instead of reading every match.
local function leapfrog(index, groups, before, limit)
    local found = {}
    local candidate = before == nil and TOP or before - 1
    while #found < limit do
        local position = highest(index, groups[1], candidate)
        if position == nil then break end
        local agreed = true
        for i = 2, #groups do
            local other = highest(index, groups[i], position)
            if other == nil then return found end
            if other < position then
                candidate, agreed = other, false
                break
            end
        end
        if agreed then
            table.insert(found, position)
            candidate = position - 1
        end
    end
    return found
end

-- The same by collecting every match of every word (for short, common prefixes).
local function intersect(index, words, before, limit)
    local found, n = nil, 0
    for _, prefix in ipairs(words) do
        local seqs = {}
        for _, w in index:pairs({prefix}, {iterator = 'GE'}) do
            if w.word:sub(1, #prefix) ~= prefix then break end
            if found == nil or found[w.seq] then seqs[w.seq] = true end
            n = n + 1
            if n % YIELD_EVERY == 0 then fiber.yield() end
        end
        found = seqs
    end
    local ordered = {}
    for seq in pairs(found or {}) do
        if before == nil or seq < before then table.insert(ordered, seq) end
    end
    table.sort(ordered, function(a, b) return a > b end)
    return {unpack(ordered, 1, math.min(limit, #ordered))}
end

--- Threads with a word starting with each of `words`, newest first: {{view, seq}, …}.
function records.search_threads(ns, words, before, limit)
    local index = space(ns, 'words').index.primary
    local groups = {}
    for _, prefix in ipairs(words) do
        local expanded = expand(index, prefix)
        if #expanded == 0 then return {} end
        if #expanded > MAX_EXPANSION then groups = nil break end
        table.insert(groups, group(expanded))
    end
    local positions = groups and leapfrog(index, groups, before, limit) or intersect(index, words, before, limit)
    local threads = space(ns, 'threads').index.seq
    local rows = {}
    for _, seq in ipairs(positions) do
        table.insert(rows, {view(ns, threads:get(seq)), seq})
    end
    return rows
end

-- Deletes the report's documents and feedback; returns how many of each.
local function delete_attachments(ns, report_id)
    local documents, chunks, feedback = space(ns, 'documents'), space(ns, 'document_chunks'), space(ns, 'feedback')
    local removed = {0, 0}
    for _, d in ipairs(documents:select({report_id})) do
        delete_blob(chunks, {report_id, d.format}, d.chunks)
        documents:delete({report_id, d.format})
        removed[1] = removed[1] + 1
    end
    for _, fb in ipairs(feedback.index.report:select({report_id})) do
        feedback:delete(fb.id)
        removed[2] = removed[2] + 1
    end
    return removed
end

--- Deletes the thread with its reports, documents and feedback: {reports, documents, feedback}, or nil.
function records.delete_thread(ns, id)
    return box.atomic(function()
        local t = space(ns, 'threads'):get(id)
        if t == nil then return nil end
        local reports = space(ns, 'reports')
        local counts = {0, 0, 0}
        for _, r in ipairs(reports.index.thread:select({id})) do
            local removed = delete_attachments(ns, r.id)
            delete_report(ns, r)
            counts = {counts[1] + 1, counts[2] + removed[1], counts[3] + removed[2]}
        end
        reindex(ns, t, {})
        space(ns, 'threads'):delete(id)
        return counts
    end)
end

-- Reports -------------------------------------------------------------------------------------------

--- What putting a report needs: {'duplicate', record} when the job already stored one, else {'thread',
--- thread tuple} for the thread (by id, else by INN) or {'none'} when there is none.
function records.prepare_report(ns, thread_id, inn, job_id)
    if job_id ~= '' then
        local existing = space(ns, 'reports').index.job:select(job_id, {limit = 1})[1]
        if existing ~= nil then return {'duplicate', record_of(ns, existing)} end
    end
    local t = find_thread(ns, thread_id ~= '' and thread_id or nil, inn)
    if t == nil then return {'none'} end
    return {'thread', t:transform(14, 1)}
end

--- Inserts the report (its first 14 fields, and the serialized `record`) if its thread is still at
--- `last_version` (else {'conflict'}) and no report of the same job exists (else {'duplicate', record});
--- the thread's latest fields, name, notes and words follow.
function records.insert_report(ns, report, record, last_version, name, folded, notes, words)
    return box.atomic(function()
        local reports, threads = space(ns, 'reports'), space(ns, 'threads')
        local job_id = report[5]
        if job_id ~= '' then
            local existing = reports.index.job:select(job_id, {limit = 1})[1]
            if existing ~= nil then return {'duplicate', record_of(ns, existing)} end
        end
        local t = threads:get(report[2])
        if t == nil or t.last_version ~= last_version then return {'conflict'} end
        report[15] = #record
        report[16] = put_blob(space(ns, 'report_chunks'), {report[1]}, record)
        local r = reports:insert(report)
        reindex(ns, t, words)
        threads:update(t.id, {
            {'=', 'last_version', r.version}, {'+', 'report_count', 1}, {'=', 'latest_report_id', r.id},
            {'=', 'latest_score', r.score}, {'=', 'latest_level', r.level}, {'=', 'updated_at', r.created_at},
            {'=', 'company_name', name}, {'=', 'name_folded', folded}, {'=', 'notes', notes}, {'=', 'words', words},
        })
        return {'stored'}
    end)
end

function records.report(ns, id)
    local r = space(ns, 'reports'):get(id)
    return r and record_of(ns, r)
end

function records.latest_report(ns, thread_id, inn)
    local t = find_thread(ns, thread_id, inn)
    if t == nil then return nil end
    local r = space(ns, 'reports').index.thread:max({t.id})
    return r and record_of(ns, r)
end

-- Matching reports newest first (by id) from before `before`, while `fn` returns true. With an INN or a
-- thread in the filter only that thread's reports are read.
local function reports_newest_first(ns, f, before, fn)
    local reports, threads = space(ns, 'reports'), space(ns, 'threads')
    local function visit(r)
        if before ~= nil and r.id >= before then return true end
        if not matches(f, r, r.level, r.score, r.thread_id) then return true end
        if f.latest_only then
            local t = threads:get(r.thread_id)
            if t == nil or t.latest_report_id ~= r.id then return true end
        end
        return fn(r)
    end
    if f.inn ~= nil or f.thread ~= nil then
        local t = find_thread(ns, f.thread, f.thread == nil and f.inn or nil)
        if t == nil then return end
        -- A thread's versions grow with time, as do ids: newest version first is newest id first.
        for _, r in reports.index.thread:pairs({t.id}, {iterator = 'REQ'}) do
            if visit(r) == false then return end
        end
        return
    end
    local start, iterator = {}, 'LE'
    if before ~= nil then start, iterator = before, 'LT' end
    local n = 0
    for _, r in reports.index.primary:pairs(start, {iterator = iterator}) do
        if visit(r) == false then return end
        n = n + 1
        if n % YIELD_EVERY == 0 then fiber.yield() end
    end
end

function records.list_reports(ns, f, before, limit)
    local rows = {}
    reports_newest_first(ns, f, before, function(r)
        table.insert(rows, summary(r))
        return #rows < limit
    end)
    return rows
end

--- {created_at, score, level, thread_id} of every matching report created at `from` or later: what
--- stats and timelines are computed from.
function records.report_points(ns, f, from)
    local rows = {}
    reports_newest_first(ns, f, nil, function(r)
        if from == nil or r.created_at >= from then
            table.insert(rows, {r.created_at, r.score, r.level, r.thread_id})
        end
    end)
    return rows
end

--- Deletes the reports that exist with their attachments; their threads' latest fields follow:
--- {deleted, {ids not found}}.
function records.delete_reports(ns, ids, now)
    return box.atomic(function()
        local reports, threads = space(ns, 'reports'), space(ns, 'threads')
        local deleted, missing, touched = 0, {}, {}
        for _, id in ipairs(ids) do
            local r = reports:get(id)
            if r == nil then
                table.insert(missing, id)
            else
                delete_attachments(ns, id)
                delete_report(ns, r)
                deleted = deleted + 1
                touched[r.thread_id] = true
            end
        end
        for thread_id in pairs(touched) do
            local latest = reports.index.thread:max({thread_id})
            threads:update(thread_id, {
                {'=', 'report_count', reports.index.thread:count({thread_id})},
                {'=', 'latest_report_id', latest and latest.id or ''}, {'=', 'latest_score', latest and latest.score or 0},
                {'=', 'latest_level', latest and latest.level or 0}, {'=', 'updated_at', now},
            })
        end
        return {deleted, missing}
    end)
end

-- Feedback and documents ----------------------------------------------------------------------------

--- The thread of a report, or nil.
function records.report_thread(ns, report_id)
    local r = space(ns, 'reports'):get(report_id)
    return r and r.thread_id
end

--- Stores feedback if its report still exists (false when it does not).
function records.add_feedback(ns, id, report_id, thread_id, record)
    return box.atomic(function()
        if space(ns, 'reports'):get(report_id) == nil then return false end
        space(ns, 'feedback'):insert({id, report_id, thread_id, record})
        return true
    end)
end

--- Feedback records by report (by = 'report') or thread, newest first.
function records.list_feedback(ns, by, key, before, limit)
    local index = space(ns, 'feedback').index[by]
    local start, iterator = {key}, 'REQ'
    if before ~= nil then start, iterator = {key, before}, 'LT' end
    local rows = {}
    for _, fb in index:pairs(start, {iterator = iterator}) do
        if fb[by == 'report' and 'report_id' or 'thread_id'] ~= key or #rows >= limit then break end
        table.insert(rows, fb.record)
    end
    return rows
end

--- The report's record, to add a document format to it.
function records.document_report(ns, report_id)
    local r = space(ns, 'reports'):get(report_id)
    return r and record_of(ns, r)
end

--- Stores (replaces) the document, and the report's record as `record` if it is still `expected` (the
--- format list changes): 'stored', 'conflict' or 'missing' (no such report).
function records.put_document(ns, report_id, format, content_type, data, sha256, now, expected, record, has_pdf)
    return box.atomic(function()
        local reports = space(ns, 'reports')
        local r = reports:get(report_id)
        if r == nil then return 'missing' end
        if record_of(ns, r) ~= expected then return 'conflict' end
        local documents, stored = space(ns, 'documents'), space(ns, 'document_chunks')
        local old = documents:get({report_id, format})
        if old ~= nil then delete_blob(stored, {report_id, format}, old.chunks) end
        local count = put_blob(stored, {report_id, format}, data)
        documents:replace({report_id, format, content_type, #data, sha256, now, count})
        if record ~= expected then
            local report_chunks = space(ns, 'report_chunks')
            delete_blob(report_chunks, {report_id}, r.record_chunks)
            local count = put_blob(report_chunks, {report_id}, record)
            reports:update(report_id, {{'=', 'record_size', #record}, {'=', 'record_chunks', count}, {'=', 'has_pdf', has_pdf}})
        end
        return 'stored'
    end)
end

--- {content_type, size, chunks, sha256}, or nil.
function records.document(ns, report_id, format)
    local d = space(ns, 'documents'):get({report_id, format})
    return d and {d.content_type, d.size, d.chunks, d.sha256}
end

--- Chunks first … first + count - 1 of the document (fewer when it was replaced meanwhile).
function records.document_chunks(ns, report_id, format, first, count)
    local rows = {}
    for _, c in space(ns, 'document_chunks'):pairs({report_id, format, first}, {iterator = 'GE'}) do
        if c.report_id ~= report_id or c.format ~= format or #rows >= count then break end
        table.insert(rows, c.data)
    end
    return rows
end

-- API keys and audit --------------------------------------------------------------------------------

--- Creates or replaces the key with this id: 'stored', or 'taken' when another key has the hash.
function records.put_key(ns, id, hash, revoked, record)
    return box.atomic(function()
        local keys = space(ns, 'api_keys')
        local holder = keys.index.secret_hash:get(hash)
        if holder ~= nil and holder.id ~= id then return 'taken' end
        keys:replace({id, hash, revoked, record})
        return 'stored'
    end)
end

function records.key(ns, by, value)
    local keys = space(ns, 'api_keys')
    local k
    if by == 'id' then k = keys:get(value) else k = keys.index.secret_hash:get(value) end
    return k and k.record
end

function records.keys(ns, include_revoked)
    local rows = {}
    for _, k in space(ns, 'api_keys'):pairs() do
        if include_revoked or not k.revoked then table.insert(rows, k.record) end
    end
    return rows
end

--- Saves a changed key record (revoked, or its last use) if the key is still `expected`: true, or false on a
--- change meanwhile (the caller reads it again and retries).
function records.swap_key(ns, id, expected, record, revoked)
    return box.atomic(function()
        local keys = space(ns, 'api_keys')
        local k = keys:get(id)
        if k == nil or k.record ~= expected then return false end
        keys:update(id, {{'=', 'revoked', revoked}, {'=', 'record', record}})
        return true
    end)
end

function records.append_audit(ns, id, at, actor, action, record)
    space(ns, 'audit'):insert({id, at, actor, action, record})
end

--- Audit records newest first; q = {actor, prefix, from, to} (nil: any).
function records.audit(ns, q, before, limit)
    local start, iterator = {}, 'LE'
    if before ~= nil then start, iterator = before, 'LT' end
    local rows = {}
    for _, a in space(ns, 'audit'):pairs(start, {iterator = iterator}) do
        if #rows >= limit then break end
        if (q.actor == nil or a.actor == q.actor) and (q.prefix == nil or a.action:sub(1, #q.prefix) == q.prefix)
            and (q.from == nil or a.at >= q.from) and (q.to == nil or a.at < q.to) then
            table.insert(rows, a.record)
        end
    end
    return rows
end

return records
