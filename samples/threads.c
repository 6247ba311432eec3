/* Eight threads take turns under a mutex and a condition variable, then
 * are joined: the totals are fixed whatever the interleaving. Run many
 * times in a row to catch scheduling or futex bugs. */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 8
#define ROUNDS 1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn;

static void *work(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mu);
		while (turn != id)
			pthread_cond_wait(&cv, &mu);
		counter += id;
		turn = (turn + 1) % NTHREADS;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	return (void *)(id * 2);
}

int main(void)
{
	pthread_t t[NTHREADS];
	long sum = 0;

	for (long i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, work, (void *)i))
			return 1;
	for (int i = 0; i < NTHREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		sum += (long)r;
	}
	printf("counter=%ld sum=%ld\n", counter, sum);
	return 0;
}
