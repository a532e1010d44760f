-- docker-compose: the shops' databases beside the identity server's (POSTGRES_DB).
CREATE DATABASE shop_a;
CREATE DATABASE shop_b;
