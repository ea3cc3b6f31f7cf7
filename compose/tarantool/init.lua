-- A Tarantool instance for Client Analyze's storage service (storage.backend: tarantool).
--
--   CLA_TARANTOOL_LISTEN=127.0.0.1:3301 CLA_TARANTOOL_DIR=/var/lib/cla-tarantool \
--   CLA_TARANTOOL_USER=cla CLA_TARANTOOL_PASSWORD=… tarantool compose/tarantool/init.lua
--
-- The storage service calls cla.setup(namespace) on every connection: it runs the schema migrations
-- (box.once, so each runs once per namespace and data directory) and the service then uses the cla.*
-- functions in cla.lua. Expired cache entries are removed by the storage service's sweeper (it passes the
-- time, so that tests can control it); set CLA_TARANTOOL_EXPIRY=1 to also run an expiry fiber here.

local fio = require('fio')
-- Absolute: box.cfg's work_dir changes the working directory.
local here = fio.dirname(fio.abspath(debug.getinfo(1, 'S').source:sub(2)))
package.path = here .. '/?.lua;' .. package.path

local dir = os.getenv('CLA_TARANTOOL_DIR') or 'data/tarantool'
fio.mktree(dir)
box.cfg{
    listen = os.getenv('CLA_TARANTOOL_LISTEN') or '127.0.0.1:3301',
    work_dir = dir,
    memtx_dir = dir,
    wal_dir = dir,
    vinyl_dir = dir,
    wal_mode = 'write',
    feedback_enabled = false,
    log_level = tonumber(os.getenv('CLA_TARANTOOL_LOG_LEVEL') or '5'),
    memtx_memory = tonumber(os.getenv('CLA_TARANTOOL_MEMORY') or tostring(256 * 1024 * 1024)),
    -- Cached provider answers reach cache.max_value_bytes (at most 3.9 MB); the default limit is 1 MB.
    memtx_max_tuple_size = 5 * 1024 * 1024,
}

local user = os.getenv('CLA_TARANTOOL_USER') or 'cla'
local password = os.getenv('CLA_TARANTOOL_PASSWORD')
if password == nil or password == '' then
    error('set CLA_TARANTOOL_PASSWORD: the storage service logs in with it (chap-sha1)')
end
box.once('cla_user_' .. user, function()
    box.schema.user.create(user, {password = password, if_not_exists = true})
    box.schema.user.grant(user, 'read,write,execute,create,drop,alter', 'universe', nil, {if_not_exists = true})
end)
-- The password may change between starts.
box.schema.user.passwd(user, password)

cla = require('cla')

if os.getenv('CLA_TARANTOOL_EXPIRY') == '1' then
    cla.start_expiry()
end

-- For test harnesses: exit when the process that started this one is gone, so no instance outlives a
-- crashed test run.
local parent = tonumber(os.getenv('CLA_TARANTOOL_PARENT_PID') or '')
if parent ~= nil then
    local ffi = require('ffi')
    ffi.cdef('int kill(int pid, int sig);')
    require('fiber').create(function()
        while ffi.C.kill(parent, 0) == 0 do require('fiber').sleep(0.5) end
        os.exit(0)
    end)
end

-- Defined last: a client that can call it knows the schema functions exist.
function cla_ready()
    return box.info.status
end
