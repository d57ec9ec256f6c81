#include "vmm/seccomp/standby_thread.h"

#include <pthread.h>

#include <csignal>
#include <utility>

#include "vmm/seccomp/thread_filters.h"

namespace berth::seccomp {

StandbyThread::StandbyThread(ThreadKind kind, const char* name)
    : thread_([this, kind, name] { run(kind, name); }) {}

StandbyThread::~StandbyThread() {
    join();
    {
        std::lock_guard lock(mutex_);
        exiting_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void StandbyThread::start(std::function<void()> job) {
    {
        std::lock_guard lock(mutex_);
        job_ = std::move(job);
        has_job_ = true;
    }
    started_ = true;
    changed_.notify_all();
}

void StandbyThread::join() {
    if (!started_) {
        return;
    }
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !has_job_; });
    started_ = false;
}

void StandbyThread::run(ThreadKind kind, const char* name) {
    // Before the filter, which allows neither prctl nor anything but SIGSYS here.
    pthread_setname_np(pthread_self(), name);
    sigset_t signals;
    sigfillset(&signals);
    sigdelset(&signals, SIGSYS);
    pthread_sigmask(SIG_SETMASK, &signals, nullptr);
    confine_current_thread(kind);

    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return has_job_ || exiting_; });
        if (!has_job_) {
            return;  // exiting_, and no job left
        }
        std::function<void()> job = std::move(job_);
        job_ = nullptr;
        lock.unlock();
        job();
        job = nullptr;  // what the job captured goes before join() returns
        lock.lock();
        has_job_ = false;
        changed_.notify_all();
    }
}

}  // namespace berth::seccomp
