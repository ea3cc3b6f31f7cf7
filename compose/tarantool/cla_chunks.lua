-- How Client Analyze keeps blobs (cache values, serialized reports, documents) in memtx: in chunks.
--
-- memtx gives each tuple size a pool of its own, and a pool takes slabs of about 128 tuples (up to 16 MiB):
-- blobs of every size, each in one tuple, would each hold a slab — 47 cached values of 1–400 KB (3 MB)
-- filled a 256 MiB instance. So a blob is cut into chunks of SIZE bytes, and the last chunk is padded up
-- to the next of a few sizes: all chunks fall into eight pools, and padding wastes less than half of the
-- last chunk. Readers join the chunks and cut the result to the blob's size.

local chunks = {}

chunks.SIZE = 8000
local BUCKETS = {64, 128, 256, 512, 1024, 2048, 4096, chunks.SIZE}

--- `part` (at most SIZE bytes) padded with zero bytes to its bucket.
function chunks.pad(part)
    for _, size in ipairs(BUCKETS) do
        if #part <= size then return part .. string.rep('\0', size - #part) end
    end
    error('a chunk of ' .. #part .. ' bytes is over ' .. chunks.SIZE)
end

--- The chunks of `value`, padded: {chunk 1, chunk 2, …} (none for an empty value).
function chunks.split(value)
    local parts = {}
    for start = 1, #value, chunks.SIZE do
        table.insert(parts, chunks.pad(value:sub(start, start + chunks.SIZE - 1)))
    end
    return parts
end

return chunks
