# The reference article's docker commands (/work/shared/MISSION.md). The first command of each
# method is verbatim; the others are written out from the article's "likewise" notes.
# Not meant to be run: the tests read the commands through a fake `docker` function.

# method 1 (host networking); one command per host zookeeper1..3
docker run -d --name=zk1 --net=host \
  -e SERVER_ID=1 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=zookeeper1:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=zookeeper2:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=zookeeper3:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8
docker run -d --name=zk2 --net=host \
  -e SERVER_ID=2 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=zookeeper1:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=zookeeper2:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=zookeeper3:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8
docker run -d --name=zk3 --net=host \
  -e SERVER_ID=3 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=zookeeper1:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=zookeeper2:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=zookeeper3:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8

# method 3 (link aliases on a user-defined network foo)
docker run -d --name zk1 --net foo --link zk2:zknode2 --link zk3:zknode3 -e SERVER_ID=1 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=0.0.0.0:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=zknode2:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=zknode3:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8
docker run -d --name zk2 --net foo --link zk1:zknode1 --link zk3:zknode3 -e SERVER_ID=2 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=zknode1:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=0.0.0.0:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=zknode3:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8
docker run -d --name zk3 --net foo --link zk1:zknode1 --link zk2:zknode2 -e SERVER_ID=3 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=zknode1:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=zknode2:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=0.0.0.0:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8

# method 4 (static container IPs on network bar)
docker network create --subnet 172.19.0.0/16 --gateway 172.19.0.1 --ip-range 172.19.0.0/17 bar
docker run -d --name zk1 --net bar --ip 172.19.200.1 -e SERVER_ID=1 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=172.19.200.1:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=172.19.200.2:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=172.19.200.3:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8
docker run -d --name zk2 --net bar --ip 172.19.200.2 -e SERVER_ID=2 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=172.19.200.1:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=172.19.200.2:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=172.19.200.3:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8
docker run -d --name zk3 --net bar --ip 172.19.200.3 -e SERVER_ID=3 \
  -e ADDITIONAL_ZOOKEEPER_1=server.1=172.19.200.1:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_2=server.2=172.19.200.2:2888:3888 \
  -e ADDITIONAL_ZOOKEEPER_3=server.3=172.19.200.3:2888:3888 \
  registry.aliyuncs.com/acs-sample/zookeeper:3.4.8
