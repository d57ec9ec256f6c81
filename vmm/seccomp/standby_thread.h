// A thread made ahead of time that runs, one at a time, the jobs it is given
// later: how a device gets its worker when the guest's driver starts it.
// That happens on a vCPU thread, which may not create threads, and a thread
// it created would inherit the vCPU's filter besides (thread_filters.h). A
// StandbyThread is made with its device, before any filter exists, and
// installs its own kind's filter at once.
//
// start() and join() stand in for std::thread's constructor and join(); as
// with std::thread, one thread at a time calls them (the device's transport
// serialises them).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "vmm/seccomp/seccomp_policy.h"

namespace berth::seccomp {

class StandbyThread {
public:
    // `name` names the thread in top -H and gdb (at most 15 characters).
    // The thread blocks every signal but SIGSYS (the filter's report):
    // signals for the process belong to the main thread. Throws
    // std::system_error when the host cannot make a thread.
    StandbyThread(ThreadKind kind, const char* name);
    // Waits for a job that runs to return, then ends the thread.
    ~StandbyThread();
    StandbyThread(const StandbyThread&) = delete;
    StandbyThread& operator=(const StandbyThread&) = delete;

    // Runs `job` on the thread. Not while joinable().
    void start(std::function<void()> job);
    // A job was started and not yet joined.
    bool joinable() const { return started_; }
    // Waits until the job has returned.
    void join();

private:
    void run(ThreadKind kind, const char* name);

    std::mutex mutex_;
    std::condition_variable changed_;
    std::function<void()> job_;  // set by start(), cleared once it has returned
    bool has_job_ = false;       // under mutex_: a job was handed over and has not returned
    bool exiting_ = false;       // under mutex_: the destructor ends the thread
    bool started_ = false;       // the caller's side: start() without join() yet
    std::thread thread_;
};

}  // namespace berth::seccomp
