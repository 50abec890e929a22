UPDATE {history} SET checksum = {checksum}, rollback_checksum = {rollback_checksum}, name = {name}
WHERE version = {version}
